using System.Diagnostics;
using System.Globalization;
using FeatureFlags.AotSmoke;

// NativeAOT smoke app: exercises both packages offline (bootstrap file), on ASP.NET Core (slim builder over
// loopback) and online (its own FeatBit WebSocket endpoint), checks every result, and exits 0 only if all passed.
// It prints how long the process took to reach its first flag evaluation (see docs/performance.md).
var sinceMain = Stopwatch.StartNew();
var checks = new SmokeChecks();
var directory = Directory.CreateTempSubdirectory("featureflags-aot-smoke-");
try
{
    var bootstrapFile = Path.Combine(directory.FullName, "flags.json");
    File.Copy(Path.Combine(AppContext.BaseDirectory, "flags.json"), bootstrapFile);

    await OfflineSmoke.RunAsync(bootstrapFile, checks, () =>
    {
        // at-unix-us lets a script measure from before exec (eng/aot-smoke.sh --measure): process start included.
        var mainMs = sinceMain.Elapsed.TotalMilliseconds;
        var sinceEpoch = TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first evaluation: {mainMs:F1} ms after Main; at-unix-us={sinceEpoch.Ticks / 10}"));
    });

    await WebSmoke.RunAsync(bootstrapFile, checks);
    // The online part serves a data-sync captured from a real FeatBit server, read in place from the shared fixtures
    // (eng/aot-smoke.sh passes its path); without it, that part is skipped, and CI=true makes the skip a failure.
    var fixture = args.Length > 0 ? args[0] : null;
    if (fixture is not null && File.Exists(fixture))
    {
        await OnlineSmoke.RunAsync(fixture, checks);
    }
    else
    {
        Console.WriteLine($"online part skipped: fixture not found ({fixture ?? "no path given"})");
        checks.True("online fixture present (required when CI=true)", Environment.GetEnvironmentVariable("CI") != "true");
    }
}
catch (Exception e)
{
    checks.True("no unexpected exception", false, e.ToString());
}
finally
{
    directory.Delete(recursive: true);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"aot smoke ({(System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "NativeAOT")}): {checks.Passed} passed, {checks.Failed} failed in {sinceMain.Elapsed.TotalMilliseconds:F0} ms"));
return checks.Failed == 0 ? 0 : 1;
