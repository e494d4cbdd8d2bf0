using System.Net;
using FeatureFlags.Events.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Polly;
using Xunit;

namespace FeatureFlags.Tests.Events;

/// <summary>
/// What an operator sees in the logs while the event endpoint is down (docs/events.md: one warning, then Debug):
/// every record of every category is captured at Trace through a real logger provider, over a real HTTP outage.
/// </summary>
public sealed class EventLoggingTests
{
    private static readonly FlagUser User = FlagUser.Create("u1", "User One");

    [Fact]
    [Trait("Conformance", "DLV-04")]
    public async Task Send_OutageOverSeveralFlushIntervals_LogsOneWarningAndNothingFromTheResilienceHandler()
    {
        await using var h = await EventHarness.CreateAsync();
        await h.Processor.StartAsync(CancellationToken.None);

        // A successful POST adds no record at Information or above.
        await SendOneBatchAsync(h, expectSent: 1, expectFailed: 0);
        Assert.Empty(AtInformationOrAbove(h));

        // Three batches in a row fail after their retries (three attempts each), one flush interval apart.
        const int Batches = 3;
        h.Server.Script([.. Enumerable.Repeat(HttpStatusCode.InternalServerError, Batches * (1 + EventsServiceCollectionExtensions.MaxRetryAttempts))]);
        for (var i = 1; i <= Batches; i++)
        {
            await SendOneBatchAsync(h, expectSent: 1, expectFailed: i);
        }

        var loud = AtInformationOrAbove(h);
        var warning = Assert.Single(loud);
        Assert.Equal((3005, LogLevel.Warning), (warning.Id.Id, warning.Level));
        Assert.Equal("FeatureFlags.Events.Internal.EventProcessor", warning.Category);
        Assert.Equal(Batches - 1, h.LogsWithId(3006).Count);
        Assert.DoesNotContain(h.Logs.GetSnapshot(), r => r.Category is not null && r.Category.StartsWith("Polly", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppsOwnResilienceHandler_KeepsItsPollyLogging()
    {
        await using var server = await FakeEventServer.StartAsync();
        server.Script(HttpStatusCode.InternalServerError);
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { EnvSecret = EventHarness.Secret, Events = { Uri = server.BaseUri } }));
        services.AddFeatureFlagEvents();
        services.AddHttpClient("app").AddResilienceHandler("app", b => b.AddRetry(new HttpRetryStrategyOptions { Delay = TimeSpan.Zero }));
        await using var provider = services.BuildServiceProvider();

        using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("app")
            .GetAsync(server.BaseUri, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(logs.GetSnapshot(), r => r.Category == "Polly" && r.Level >= LogLevel.Warning);
    }

    private static IReadOnlyList<FakeLogRecord> AtInformationOrAbove(EventHarness h)
        => [.. h.Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Information)];

    private static async Task SendOneBatchAsync(EventHarness h, long expectSent, long expectFailed)
    {
        h.Client.Track(User, "click");
        await h.AdvanceUntilAsync(
            () => h.Processor.Sent == expectSent && h.Processor.Failed == expectFailed,
            TimeSpan.FromMilliseconds(250),
            $"the batch to end ({expectSent} sent, {expectFailed} failed)");
    }
}
