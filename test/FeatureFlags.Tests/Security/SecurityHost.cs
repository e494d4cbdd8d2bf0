using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Security;

/// <summary>The SDK's services from configuration, with every log record collected; and Unix-only helpers.</summary>
internal static class SecurityHost
{
    public const string Secret = "secret-secret-secret-secret-secret-secret-00";

    public static ServiceProvider Build(Dictionary<string, string?> settings, FakeLogCollector logs, TimeProvider? time = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        services.AddFeatureFlags(configuration);
        var sp = services.BuildServiceProvider();
        _ = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        return sp;
    }

    public static void SkipUnlessUnix()
        => Assert.SkipWhen(OperatingSystem.IsWindows(), "Devices, FIFOs and Unix file modes are Unix features.");

    /// <summary>Creates a FIFO (named pipe) with <c>mkfifo</c>.</summary>
    public static void MakeFifo(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo", path) { UseShellExecute = false })!;
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), "mkfifo did not finish.");
        Assert.Equal(0, process.ExitCode);
    }
}
