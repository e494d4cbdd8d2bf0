using System.Text.Json;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests;

public sealed class HealthCheckTests
{
    [Theory]
    [InlineData(FeatureFlagsState.Initializing, HealthStatus.Unhealthy)]
    [InlineData(FeatureFlagsState.Ready, HealthStatus.Healthy)]
    [InlineData(FeatureFlagsState.Interrupted, HealthStatus.Degraded)]
    [InlineData(FeatureFlagsState.Off, HealthStatus.Unhealthy)]
    [Trait("Conformance", "API-08")]
    public async Task Check_MapsTheSyncState(FeatureFlagsState state, HealthStatus expected)
    {
        await using var provider = NewProvider();
        provider.GetRequiredService<FlagStore>().ApplyFull([Flags.Bool("a", true), Flags.Bool("b", false)], []);
        var status = provider.GetRequiredService<StatusProvider>();
        status.Set(state, state == FeatureFlagsState.Ready ? null : "connection refused");

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        var entry = report.Entries["feature-flags"];
        Assert.Equal(expected, entry.Status);
        Assert.Equal(state.ToString(), entry.Data["state"]);
        Assert.Equal(Flags.Version, entry.Data["storeVersion"]);
        Assert.Equal(2, entry.Data["flagCount"]);
        Assert.True(entry.Data.ContainsKey("since"));
        if (state != FeatureFlagsState.Ready)
        {
            Assert.Equal("connection refused", entry.Data["lastError"]);
            Assert.True(entry.Data.ContainsKey("lastErrorAt"));
        }

        Assert.DoesNotContain(entry.Data.Values, v => v is string s && s.Contains("the-secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_BrokenBootstrapFileEditInForce_DegradedWithTheErrorUntilAGoodEdit()
    {
        await using var provider = NewProvider();
        provider.GetRequiredService<FlagStore>().ApplyFull([Flags.Bool("a", true)], []);
        var status = provider.GetRequiredService<StatusProvider>();
        status.Set(FeatureFlagsState.Ready);
        const string Error = "Bootstrap file '/app/flags.json' is invalid at line 3, column 20: ',' is an invalid start of a property name.";
        var health = provider.GetRequiredService<HealthCheckService>();

        status.SetBootstrapFileError(Error);
        var broken = (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["feature-flags"];
        status.SetBootstrapFileError(null);
        var fixedAgain = (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["feature-flags"];

        Assert.Equal(HealthStatus.Degraded, broken.Status);
        Assert.Contains(Error, broken.Description, StringComparison.Ordinal);
        Assert.Equal(Error, broken.Data["bootstrapFileError"]);
        Assert.Equal(HealthStatus.Healthy, fixedAgain.Status);
        Assert.False(fixedAgain.Data.ContainsKey("bootstrapFileError"));
    }

    [Fact]
    public async Task ResponseWriter_BrokenBootstrapFileEdit_WritesDegradedWithTheError()
    {
        await using var provider = NewProvider();
        provider.GetRequiredService<FlagStore>().ApplyFull([Flags.Bool("a", true)], []);
        var status = provider.GetRequiredService<StatusProvider>();
        status.Set(FeatureFlagsState.Ready);
        status.SetBootstrapFileError("Bootstrap file 'flags.json' is invalid at line 2, column 5: oops.");
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await FeatureFlagsHealthResponseWriter.WriteAsync(context, report);

        using var json = JsonDocument.Parse(body.ToArray());
        var check = json.RootElement.GetProperty("checks").GetProperty("feature-flags");
        Assert.Equal("Degraded", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains("line 2, column 5", check.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Bootstrap file 'flags.json' is invalid at line 2, column 5: oops.", check.GetProperty("data").GetProperty("bootstrapFileError").GetString());
        Assert.Equal(1, check.GetProperty("data").GetProperty("flagCount").GetInt32());
        Assert.StartsWith("application/json", context.Response.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CustomNameFailureStatusAndTags()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFeatureFlags(o => o.EnvSecret = "the-secret");
        services.AddHealthChecks().AddFeatureFlagsHealthCheck("flags", HealthStatus.Degraded, ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"), TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Degraded, report.Entries["flags"].Status);
    }

    private static ServiceProvider NewProvider()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFeatureFlags(o => o.EnvSecret = "the-secret");
        services.AddHealthChecks().AddFeatureFlagsHealthCheck();
        return services.BuildServiceProvider();
    }
}
