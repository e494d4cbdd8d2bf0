using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// The 50/50 rollout and the 100-flag all-flags call in a Stopwatch loop, between two runs of a fixed chain of
/// dependent instructions that give the core's clock in the same process: <c>rollout-timing [processes]</c>. A process whose
/// clock is low ran on a slowed core, so its rollout number says nothing about the code; run a few processes
/// (each line is one) to tell the host's noise from the code's cost. See docs/performance.md, eleventh pass.
/// </summary>
internal static class RolloutTiming
{
    private const string ChildArgument = "rollout-timing-child";

    // 400 dependent add + rotate pairs: 800 cycles of latency on any x64 core of the last decade.
    private const int ChainPairs = 400;
    private const int ChainCycles = 2 * ChainPairs;

    private static uint _chainResult;

    public static bool IsChild(string[] args) => args is [ChildArgument];

    public static async Task RunAsync(string[] args)
    {
        var processes = args is [var count, ..] ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) : 5;
        Console.WriteLine("clock before / after   rollout best / median   all flags (100) best / median");
        for (var i = 0; i < processes; i++)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(typeof(RolloutTiming).Assembly.Location);
            info.ArgumentList.Add(ChildArgument);
            using var child = Process.Start(info)!;
            Console.WriteLine((await child.StandardOutput.ReadToEndAsync()).TrimEnd());
            await child.WaitForExitAsync();
        }
    }

    public static void Child()
    {
        var benchmarks = new EvaluationBenchmarks();
        benchmarks.Setup();
        var sink = 0L; // captured by the calls' closures, so no call is dropped as dead code

        // Warm up past tiered compilation, then time batches; the best batch is the code's cost on this core.
        // The core's clock is measured before and after, so a core that slowed part way shows in the line.
        Batches(seconds: 3, () => sink += benchmarks.Rollout5050() ? 1 : 0);
        Batches(seconds: 1, () => sink += benchmarks.GetAllFlags100().IsReady ? 1 : 0);
        var clockBefore = ChainCycles / Best(Repeat(5, Chain));
        var rollout = Repeat(15, () => PerCall(2_000_000, () => sink += benchmarks.Rollout5050() ? 1 : 0));
        var allFlags = Repeat(15, () => PerCall(100_000, () => sink += benchmarks.GetAllFlags100().IsReady ? 1 : 0));
        var clockAfter = ChainCycles / Best(Repeat(5, Chain));
        Console.WriteLine(FormattableString.Invariant(
            $"{clockBefore,6:F2} / {clockAfter:F2} GHz {Best(rollout),12:F1} / {Median(rollout),6:F1} ns {Best(allFlags),16:F0} / {Median(allFlags),5:F0} ns"));
    }

    private static void Batches(int seconds, Action call)
    {
        var end = Stopwatch.GetTimestamp() + Stopwatch.Frequency * seconds;
        while (Stopwatch.GetTimestamp() < end)
        {
            for (var i = 0; i < 10_000; i++)
            {
                call();
            }
        }
    }

    private static double PerCall(int calls, Action call)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            call();
        }

        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / calls;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Chain()
    {
        const int Runs = 100_000;
        var x = (uint)Environment.TickCount;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Runs; i++)
        {
            for (var j = 0; j < ChainPairs; j++)
            {
                x = BitOperations.RotateLeft(x + (uint)j, 7);
            }
        }

        var perRun = Stopwatch.GetElapsedTime(started).TotalNanoseconds / Runs;
        _chainResult = x; // keeps the chain from being dropped as dead code
        return perRun;
    }

    private static double[] Repeat(int times, Func<double> measure)
    {
        var results = new double[times];
        for (var i = 0; i < times; i++)
        {
            results[i] = measure();
        }

        Array.Sort(results);
        return results;
    }

    private static double Best(double[] sorted) => sorted[0];

    private static double Median(double[] sorted) => sorted[sorted.Length / 2];
}
