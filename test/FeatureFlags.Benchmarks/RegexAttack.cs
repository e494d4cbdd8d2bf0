using System.Diagnostics;
using System.Globalization;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// <c>regex-attack [seconds]</c>: an app evaluates a flag whose rule matches the user key against a catastrophic regex
/// (<c>^(a+)+$</c>), and attackers send the key <c>"a"×40 + "!"</c>. The thread pool plays the web server: ordinary
/// requests (10 flag evaluations for an ordinary user, the regex flag included) arrive at a fixed rate from a
/// dedicated thread and run on the pool; their latency is measured from arrival to completion, so time spent queued
/// behind attack requests counts. Each of the 16 attacker connections sends a request (one evaluation with the crafted
/// key) on the pool, waits for the answer and a 1 ms round trip, and sends the next. Each scenario measures a quiet
/// phase, then the attack, for <c>seconds</c> each (default 5). Scenarios: the behaviour before hardening (backtracking
/// engine, 100 ms timeout, no breaker), the hardened default (non-backtracking engine), and a pattern the
/// non-backtracking engine refuses (<c>^(?=(a+)+$)</c>, a lookahead), which falls back to the backtracking engine with
/// the 10 ms timeout, with and without the per-rule breaker. Results are in docs/reliability.md (Security).
/// </summary>
internal static class RegexAttack
{
    private const int Attackers = 16;
    private const int OrdinaryFlags = 10;
    private const string RegexFlagKey = "key-pattern";
    private static readonly TimeSpan OrdinaryInterval = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan AttackerRoundTrip = TimeSpan.FromMilliseconds(1);
    private static readonly string CraftedKey = new string('a', 40) + "!";

    public static void Run(string[] args)
    {
        var seconds = args is [var s, ..] ? double.Parse(s, CultureInfo.InvariantCulture) : 5;
        var phase = TimeSpan.FromSeconds(seconds);
        var hardened = RegexPolicy.For(new EvaluationOptions(), TimeProvider.System);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"regex-attack: {Environment.ProcessorCount} cores, {Attackers} attacker connections (1 ms round trip), ordinary request every {OrdinaryInterval.TotalMilliseconds} ms ({OrdinaryFlags} evaluations), {seconds} s per phase"));
        Console.WriteLine();
        AllFlags("before: backtracking, 100 ms, no breaker", RegexPolicy.Legacy(TimeSpan.FromMilliseconds(100)));
        AllFlags("after: default (non-backtracking)", hardened);
        Console.WriteLine();
        Console.WriteLine("| Scenario | Pattern | Phase | Ordinary p50 | p99 | max | Ordinary requests | Attack requests | CPU (cores) | Regex flag 'malformed' for ordinary users |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        Scenario("before: backtracking, 100 ms, no breaker", "^(a+)+$", RegexPolicy.Legacy(TimeSpan.FromMilliseconds(100)), phase);
        Scenario("after: default (non-backtracking)", "^(a+)+$", hardened, phase);
        Scenario("after: refused construct, 10 ms, breaker", "^(?=(a+)+$)", hardened, phase);
        Scenario("(for comparison) refused construct, 10 ms, no breaker", "^(?=(a+)+$)", hardened with { BreakerThreshold = 0 }, phase);
    }

    private static void Scenario(string name, string pattern, RegexPolicy policy, TimeSpan phase)
    {
        var options = Options.Create(new FeatureFlagsOptions { Evaluation = { RegexMatchTimeout = policy.MatchTimeout } });
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance, policy);
        var applied = store.ApplyFull(Flags(pattern), []);
        if (applied.Invalid != 0 || store.FlagKeys.Count != OrdinaryFlags)
        {
            throw new InvalidOperationException($"Scenario data is broken: {applied}.");
        }

        var client = new FeatureFlagClient(store, options);
        var attacker = FlagUser.Create(CraftedKey);
        var probe = client.BoolVariationDetail(RegexFlagKey, attacker);
        Console.Error.WriteLine($"{name}: first attack evaluation -> {probe.Kind}");

        // Warm up (JIT, pool), then quiet, then attack.
        Measure(client, phase / 5, attack: false);
        foreach (var attack in new[] { false, true })
        {
            var r = Measure(client, phase, attack);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | `{pattern}` | {(attack ? "attack" : "quiet")} | {Ms(r.P50)} | {Ms(r.P99)} | {Ms(r.Max)} | {r.Ordinary:N0} | {r.Attacks:N0} | {r.Cores:F2} | {r.MalformedShare:P1} |"));
        }
    }

    /// <summary>The JSON flags endpoint's work: all flags for the crafted key, with 5 flags carrying the catastrophic rule.</summary>
    private static void AllFlags(string name, RegexPolicy policy)
    {
        var options = Options.Create(new FeatureFlagsOptions { Evaluation = { RegexMatchTimeout = policy.MatchTimeout } });
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance, policy);
        var flags = Flags("^(a+)+$");
        for (var i = 1; i < 5; i++)
        {
            var copy = Flags("^(a+)+$")[0];
            copy.Key = string.Create(CultureInfo.InvariantCulture, $"{RegexFlagKey}-{i}");
            flags.Add(copy);
        }

        store.ApplyFull(flags, []);
        var client = new FeatureFlagClient(store, options);
        var attacker = FlagUser.Create(CraftedKey);
        client.GetAllFlags(attacker);
        var times = new double[5];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            client.GetAllFlags(attacker);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"All flags (14, 5 with `^(a+)+$` on the key) for the crafted key, {name}: median of 5 calls {Ms(times[2])}"));
    }

    private readonly record struct PhaseResult(double P50, double P99, double Max, int Ordinary, long Attacks, double Cores, double MalformedShare);

    private static PhaseResult Measure(FeatureFlagClient client, TimeSpan duration, bool attack)
    {
        using var stop = new ManualResetEventSlim();
        var latencies = new double[(int)(duration / OrdinaryInterval) + 16];
        var completed = 0;
        var malformed = 0;
        long attacks = 0;
        using var pending = new CountdownEvent(1);
        var ordinaryUser = FlagUser.Builder("user-0042").Country("GB").Email("jane@example.com").Build();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();

        var attackerTasks = attack
            ? Enumerable.Range(0, Attackers).Select(_ => Task.Run(async () =>
            {
                var user = FlagUser.Create(CraftedKey);
                while (!stop.IsSet)
                {
                    await Task.Run(() => client.BoolVariation(RegexFlagKey, user));
                    Interlocked.Increment(ref attacks);
                    await Task.Delay(AttackerRoundTrip, TimeProvider.System);
                }
            })).ToArray()
            : [];

        // Ordinary arrivals come from a dedicated thread, so they keep arriving however busy the pool is.
        var issued = 0;
        var arrivals = new Thread(() =>
        {
            var next = Stopwatch.GetTimestamp();
            var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end && issued < latencies.Length)
            {
                var arrived = Stopwatch.GetTimestamp();
                pending.AddCount();
                issued++;
                ThreadPool.UnsafeQueueUserWorkItem(
                    _ =>
                    {
                        var bad = 0;
                        for (var i = 0; i < OrdinaryFlags; i++)
                        {
                            var key = i == 0 ? RegexFlagKey : FlagKey(i);
                            var detail = client.BoolVariationDetail(key, ordinaryUser);
                            bad += i == 0 && detail.Kind == EvaluationReasonKind.MalformedFlag ? 1 : 0;
                        }

                        latencies[Interlocked.Increment(ref completed) - 1] = Stopwatch.GetElapsedTime(arrived).TotalMilliseconds;
                        Interlocked.Add(ref malformed, bad);
                        pending.Signal();
                    },
                    null);
                next += (long)(OrdinaryInterval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    stop.Wait(wait);
                }
            }
        })
        { IsBackground = true, Name = "ordinary arrivals" };
        arrivals.Start();
        arrivals.Join();
        pending.Signal();
        pending.Wait();
        stop.Set();
        Task.WaitAll(attackerTasks);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / elapsed.TotalSeconds;

        var sorted = latencies.AsSpan(0, completed).ToArray();
        Array.Sort(sorted);
        return new PhaseResult(
            Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1], completed, Interlocked.Read(ref attacks), cores,
            (double)malformed / completed);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(sorted.Length * p) - 1, 0, sorted.Length - 1)];

    private static string Ms(double ms) => ms < 1
        ? string.Create(CultureInfo.InvariantCulture, $"{ms * 1000:F0} µs")
        : string.Create(CultureInfo.InvariantCulture, $"{ms:F1} ms");

    private static string FlagKey(int i) => string.Create(CultureInfo.InvariantCulture, $"ordinary-{i:D2}");

    /// <summary>The regex flag (rule: the user key matches <paramref name="pattern"/>) and 9 ordinary flags with cheap rules and rollouts.</summary>
    private static List<FlagDto> Flags(string pattern)
    {
        var flags = new List<FlagDto>
        {
            Flag(RegexFlagKey, [new RuleDto { Name = "key pattern", Conditions = [new ConditionDto { Property = FlagUser.KeyAttribute, Op = "MatchRegex", Value = pattern }], Variations = Slices(("on", 0, 1)) }], Slices(("off", 0, 1))),
        };
        for (var i = 1; i < OrdinaryFlags; i++)
        {
            var rules = i % 2 == 0
                ? new List<RuleDto> { new() { Name = "british", Conditions = [new ConditionDto { Property = FlagUser.CountryAttribute, Op = "Equal", Value = "GB" }], Variations = Slices(("on", 0, 1)) } }
                : [new() { Name = "staff", Conditions = [new ConditionDto { Property = FlagUser.EmailAttribute, Op = "EndsWith", Value = "@example.com" }], Variations = Slices(("on", 0, 1)) }];
            flags.Add(Flag(FlagKey(i), rules, Slices(("on", 0, 0.5), ("off", 0.5, 1))));
        }

        return flags;
    }

    private static FlagDto Flag(string key, List<RuleDto> rules, List<RolloutVariationDto> fallthrough) => new()
    {
        Key = key,
        VariationType = "boolean",
        UpdatedAt = 1_700_000_000_000,
        IsEnabled = true,
        DisabledVariationId = "off",
        Variations = [new VariationDto { Id = "on", Value = "true" }, new VariationDto { Id = "off", Value = "false" }],
        Rules = rules,
        Fallthrough = new FallthroughDto { Variations = fallthrough },
    };

    private static List<RolloutVariationDto> Slices(params (string Id, double Min, double Max)[] slices)
        => [.. slices.Select(s => new RolloutVariationDto { Id = s.Id, Rollout = [s.Min, s.Max] })];
}
