using System.Net;
using FeatureFlags.Events;
using FeatureFlags.Events.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace FeatureFlags.Tests.Events;

/// <summary>
/// The event processor through the real HTTP stack (named HttpClient, resilience handler) against a real in-process
/// insight endpoint: batching, timing, retries, permanent stop, overflow and shutdown (protocol §2.3, §2.4).
/// </summary>
public sealed class EventProcessorTests
{
    private static readonly FlagUser User = FlagUser.Create("u1", "User One");

    [Fact]
    [Trait("Conformance", "DLV-01")]
    public async Task Track_FewEvents_SentOnlyWhenTheFlushIntervalElapses()
    {
        await using var h = await EventHarness.CreateAsync();
        await h.Processor.StartAsync(CancellationToken.None);

        for (var i = 0; i < 3; i++)
        {
            h.Client.Track(User, "click");
        }

        // Fake timers fire inside Advance: the flush timer has not fired, so the loop (which sends a batch that is not
        // full only after it fires) has nothing to send, and no request can be on its way.
        h.Time.Advance(h.Options.Events.FlushInterval - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Processor.FlushTimerTicks);
        Assert.Empty(h.Server.Requests);

        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, h.Processor.FlushTimerTicks);
        await h.Server.WaitForRequestsAsync(1);

        var request = Assert.Single(h.Server.Requests);
        Assert.Equal(3, request.Events.Count);
        Assert.All(request.Events, e => Assert.Equal("click", e!["metrics"]![0]!["eventName"]!.GetValue<string>()));
    }

    [Fact]
    [Trait("Conformance", "DLV-01")]
    public async Task Track_FullBatches_SentAtOnceWithoutWaitingForTheInterval()
    {
        await using var h = await EventHarness.CreateAsync();
        await h.Processor.StartAsync(CancellationToken.None);

        for (var i = 0; i < 120; i++)
        {
            h.Client.Track(User, "e" + i);
        }

        await h.Server.WaitForRequestsAsync(2);
        Assert.Equal([50, 50], h.Server.Requests.Select(r => r.Events.Count));
        await h.AdvanceUntilAsync(() => h.Processor.Sent == 100, TimeSpan.Zero, "both answers read");

        h.Time.Advance(h.Options.Events.FlushInterval);
        await h.Server.WaitForRequestsAsync(3);
        Assert.Equal([50, 50, 20], h.Server.Requests.Select(r => r.Events.Count));
        Assert.Equal(
            Enumerable.Range(0, 120).Select(i => "e" + i),
            h.Server.AllEvents.Select(e => e["metrics"]![0]!["eventName"]!.GetValue<string>()));
    }

    [Fact]
    [Trait("Conformance", "DLV-01")]
    public async Task FlushAsync_SendsEverythingInBatchesOfAtMostMaxEventsPerRequest()
    {
        await using var h = await EventHarness.CreateAsync();

        for (var i = 0; i < 130; i++)
        {
            h.Client.Identify(FlagUser.Create("user-" + i));
        }

        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal([50, 50, 30], h.Server.Requests.Select(r => r.Events.Count));
        Assert.Equal(130, h.Processor.Sent);
        Assert.Equal(0, h.Processor.Pending);
    }

    [Fact]
    [Trait("Conformance", "DLV-01")]
    public async Task FlushAsync_CustomBatchSize_IsHonoured()
    {
        await using var h = await EventHarness.CreateAsync(o => o.Events.MaxEventsPerRequest = 7);

        for (var i = 0; i < 15; i++)
        {
            h.Client.Track(User, "e");
        }

        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal([7, 7, 1], h.Server.Requests.Select(r => r.Events.Count));
    }

    [Fact]
    [Trait("Conformance", "CONF-01")]
    [Trait("Conformance", "EVT-06")]
    public async Task Send_Request_HasTheProtocolHeadersAndKeepsThePathPrefix()
    {
        await using var h = await EventHarness.CreateAsync(pathPrefix: "/featbit");

        h.Client.Track(User, "click");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var request = Assert.Single(h.Server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/featbit/api/public/insight/track", request.Path);
        Assert.Equal(EventHarness.Secret, request.Authorization);
        Assert.Equal("featureflags-aspnetcore-server-sdk", request.UserAgent);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.DoesNotContain(h.Logs.GetSnapshot(), r => r.Message.Contains(EventHarness.Secret, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [Trait("Conformance", "EVT-04")]
    [Trait("Conformance", "DLV-03")]
    public async Task Send_TransientFailureThenSuccess_IsRetriedAndDelivered(HttpStatusCode status)
    {
        await using var h = await EventHarness.CreateAsync();
        h.Server.Script(status);
        h.Client.Track(User, "click");

        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(250), "the retry");
        await flush;

        Assert.Equal(2, h.Server.Requests.Count);
        Assert.Equal(h.Server.Requests[0].Body, h.Server.Requests[1].Body);
        Assert.Equal((1L, 0L), (h.Processor.Sent, h.Processor.Failed));
    }

    [Fact]
    [Trait("Conformance", "DLV-04")]
    public async Task Send_AttemptSlowerThanTheTimeout_IsRetriedAndDelivered()
    {
        await using var h = await EventHarness.CreateAsync(o => o.Events.SendTimeout = TimeSpan.FromSeconds(2));
        h.Server.Script(FakeEventServer.HangStatus);
        h.Client.Track(User, "click");

        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.Server.WaitForRequestsAsync(1);
        await h.AdvanceUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(500), "the timeout and the retry");
        await flush;

        Assert.Equal(2, h.Server.Requests.Count);
        Assert.Equal((1L, 0L), (h.Processor.Sent, h.Processor.Failed));
    }

    [Fact]
    [Trait("Conformance", "DLV-04")]
    [Trait("Conformance", "DLV-07")]
    public async Task Send_StillFailingAfterTheRetries_DropsTheBatchAndDeliveryGoesOn()
    {
        await using var h = await EventHarness.CreateAsync();
        h.Server.Script(HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway, HttpStatusCode.InternalServerError);
        h.Client.Track(User, "lost");

        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(250), "the retries to give up");
        await flush;

        Assert.Equal(1 + EventsServiceCollectionExtensions.MaxRetryAttempts, h.Server.Requests.Count);
        Assert.Equal((0L, 1L), (h.Processor.Sent, h.Processor.Failed));
        Assert.Single(h.LogsWithId(3005));

        h.Client.Track(User, "next");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1L, h.Processor.Sent);
        Assert.Equal("next", h.Server.AllEvents[^1]["metrics"]![0]!["eventName"]!.GetValue<string>());
        Assert.Single(h.LogsWithId(3007));
    }

    [Fact]
    [Trait("Conformance", "DLV-03")]
    public async Task Send_EndpointDown_FailsWithoutThrowingAndCallersNeverWait()
    {
        await using var h = await EventHarness.CreateAsync();
        await h.Server.DisposeAsync(); // nothing listens on the port any more
        h.Client.Track(User, "click");

        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(250), "the retries to give up");
        await flush;

        Assert.Equal((0L, 1L), (h.Processor.Sent, h.Processor.Failed));
        Assert.Contains("HttpRequestException", Assert.Single(h.LogsWithId(3005)).Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "DLV-03")]
    public async Task Send_BadRequest_DropsTheBatchWithoutRetryAndDeliveryGoesOn()
    {
        await using var h = await EventHarness.CreateAsync();
        h.Server.Script(HttpStatusCode.BadRequest);
        h.Client.Track(User, "refused");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        h.Client.Track(User, "accepted");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, h.Server.Requests.Count);
        Assert.Equal((1L, 1L, false), (h.Processor.Sent, h.Processor.Failed, h.Processor.IsStopped));
        Assert.Single(h.LogsWithId(3008));
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [Trait("Conformance", "DLV-03")]
    public async Task Send_Unauthorized_StopsDeliveryForGoodWithOneErrorLog(HttpStatusCode status)
    {
        await using var h = await EventHarness.CreateAsync(flags: [TestFlags.Flag("f").HitMiss().Fallthrough(TestFlags.HitId).Build()]);
        h.Server.Script(status);
        h.Client.Track(User, "first");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        h.Client.Track(User, "after");
        Assert.Equal(TestFlags.Hit, h.Client.StringVariation("f", User, "default"));
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Single(h.Server.Requests);
        Assert.True(h.Processor.IsStopped);
        Assert.Equal(2L, h.Processor.Dropped);
        var error = Assert.Single(h.LogsWithId(3004));
        Assert.Contains(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Logs.GetSnapshot(), r => r.Message.Contains(EventHarness.Secret, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Conformance", "DLV-02")]
    public async Task Enqueue_BufferFull_DropsCountsAndWarnsOnce()
    {
        await using var h = await EventHarness.CreateAsync(o => o.Events.BufferCapacity = 5);
        await h.Processor.StartAsync(CancellationToken.None);

        for (var i = 0; i < 12; i++)
        {
            h.Client.Track(User, "e" + i);
        }

        Assert.Equal((5, 7L), (h.Processor.Pending, h.Processor.Dropped));

        h.Time.Advance(h.Options.Events.FlushInterval);
        await h.Server.WaitForRequestsAsync(1);
        await h.AdvanceUntilAsync(() => h.LogsWithId(3002).Count > 0, TimeSpan.Zero, "the buffer-full warning");

        Assert.Equal(["e0", "e1", "e2", "e3", "e4"], h.Server.AllEvents.Select(e => e["metrics"]![0]!["eventName"]!.GetValue<string>()));
        Assert.Contains("7", Assert.Single(h.LogsWithId(3002)).Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "DLV-06")]
    public async Task StopAsync_BufferedEvents_AreSentByTheFinalFlush()
    {
        await using var h = await EventHarness.CreateAsync();
        await h.Processor.StartAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            h.Client.Track(User, "bye");
        }

        await h.Processor.StopAsync(CancellationToken.None);

        Assert.Equal(3, Assert.Single(h.Server.Requests).Events.Count);
        Assert.Single(h.LogsWithId(3011));
    }

    [Fact]
    [Trait("Conformance", "DLV-07")]
    public async Task StopAsync_EndpointHangs_FinalFlushIsBoundedByTheTimeout()
    {
        await using var h = await EventHarness.CreateAsync(o => o.Events.ShutdownFlushTimeout = TimeSpan.FromSeconds(2));
        h.Server.Script(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);
        await h.Processor.StartAsync(CancellationToken.None);
        h.Client.Track(User, "bye");

        var stop = h.Processor.StopAsync(CancellationToken.None);
        await h.Server.WaitForRequestsAsync(1);
        await h.AdvanceUntilAsync(() => stop.IsCompleted, TimeSpan.FromMilliseconds(500), "the shutdown deadline");
        await stop;

        Assert.Equal(0L, h.Processor.Sent);
        Assert.Equal(1L, h.Processor.Failed);
    }

    [Fact]
    [Trait("Conformance", "DLV-05")]
    public async Task TrackAndIdentify_BadInput_LoggedDroppedAndNeverThrown()
    {
        await using var h = await EventHarness.CreateAsync();

        h.Client.Track(null!, "click");
        h.Client.Track(User, " ");
        h.Client.Track(User, null!);
        h.Client.Track(User, "nan", double.NaN);
        h.Client.Identify(null!);
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Empty(h.Server.Requests);
        Assert.Equal(5L, h.Processor.Invalid);
        Assert.Equal(0, h.Processor.Pending);
        Assert.Contains("null user", Assert.Single(h.LogsWithId(3003)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrackPageView_BadInput_LoggedDroppedAndNeverThrown_GoodOneSent()
    {
        await using var h = await EventHarness.CreateAsync();

        h.Client.TrackPageView(null!, "viewed", "/a");
        h.Client.TrackPageView(User, " ", "/a");
        h.Client.TrackPageView(User, "viewed", " ");
        h.Client.TrackPageView(User, "viewed", "/" + new string('r', EventProcessor.MaxRouteLength));
        h.Client.TrackPageView(User, "viewed", "/checkout");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var metric = Assert.Single(h.Server.AllEvents)["metrics"]![0]!;
        Assert.Equal("PageView", metric["type"]!.GetValue<string>());
        Assert.Equal("/checkout", metric["route"]!.GetValue<string>());
        Assert.Equal(4L, h.Processor.Invalid);
        Assert.Contains("TrackPageView", Assert.Single(h.LogsWithId(3003)).Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "DLV-05")]
    public async Task Track_EventNameAtTheKeyLimitSent_OneOverRefused()
    {
        await using var h = await EventHarness.CreateAsync();
        var atLimit = new string('e', FlagUser.MaxKeyLength);

        h.Client.Track(User, atLimit);
        h.Client.Track(User, atLimit + "e");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(atLimit, Assert.Single(h.Server.AllEvents)["metrics"]![0]!["eventName"]!.GetValue<string>());
        Assert.Equal(1L, h.Processor.Invalid);
        Assert.Contains("longer than FlagUser.MaxKeyLength", Assert.Single(h.LogsWithId(3003)).Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "EVT-04")]
    public async Task Evaluation_UserAtTheLimits_TheEventCarriesTheUserTheEvaluationSaw()
    {
        // The rule targets the full 256-character key: a truncated key would neither match nor be what the event reports.
        var key = new string('k', FlagUser.MaxKeyLength - 1) + "!";
        var user = FlagUser.Builder(key).Custom("plan", new string('p', FlagUser.MaxValueLength)).Build();
        await using var h = await EventHarness.CreateAsync(
            flags: [TestFlags.Flag("f").HitMiss().Target(TestFlags.HitId, key).Fallthrough(TestFlags.MissId).Build()]);

        Assert.Equal(TestFlags.Hit, h.Client.StringVariation("f", user, "default"));
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var sent = Assert.Single(h.Server.AllEvents)["user"]!;
        Assert.Equal(key, sent["keyId"]!.GetValue<string>());
        Assert.Equal(FlagUser.MaxValueLength, sent["customizedProperties"]![0]!["value"]!.GetValue<string>().Length);
    }

    [Fact]
    [Trait("Conformance", "DLV-02")]
    public async Task Enqueue_BufferFullInBytes_DropsCountsAndWarnsNamingBothBounds()
    {
        const long MaxBytes = 1024 * 1024;
        await using var h = await EventHarness.CreateAsync(o => o.Events.MaxBufferBytes = MaxBytes);
        await h.Processor.StartAsync(CancellationToken.None);
        var builder = FlagUser.Builder("big");
        for (var i = 0; i < FlagUser.MaxCustomAttributes; i++)
        {
            builder.Custom("a" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('v', FlagUser.MaxValueLength));
        }

        var big = builder.Build();
        for (var i = 0; i < 10; i++)
        {
            h.Client.Track(big, "e" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // About 136 KB a event: 7 fit in 1 MiB, far below the 10,000-event capacity.
        Assert.Equal((7, 3L), (h.Processor.Pending, h.Processor.Dropped));
        Assert.InRange(h.Processor.PendingBytes, MaxBytes - (MaxBytes / 7), MaxBytes);

        h.Time.Advance(h.Options.Events.FlushInterval);
        await h.Server.WaitForRequestsAsync(1);
        await h.AdvanceUntilAsync(() => h.LogsWithId(3002).Count > 0, TimeSpan.Zero, "the buffer-full warning");

        Assert.Equal(7, h.Server.AllEvents.Count);
        Assert.Equal(0L, h.Processor.PendingBytes);
        var warning = Assert.Single(h.LogsWithId(3002)).Message;
        Assert.Contains("3 events were dropped", warning, StringComparison.Ordinal);
        Assert.Contains("1048576 bytes", warning, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "EVT-03")]
    public async Task DisableEvents_NothingRecordedOrSent()
    {
        await using var h = await EventHarness.CreateAsync(
            o => o.Events.Enabled = false,
            flags: [TestFlags.Flag("f").HitMiss().Fallthrough(TestFlags.HitId).Build()]);
        await h.Processor.StartAsync(CancellationToken.None);

        Assert.Null(h.Client.Events);
        h.Client.StringVariation("f", User, "d");
        h.Client.Track(User, "click");
        h.Client.Identify(User);
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);
        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.Processor.StopAsync(CancellationToken.None);

        Assert.Empty(h.Server.Requests);
        Assert.Null(h.Processor.Loop);
        Assert.Equal(0, h.Processor.Pending);
    }

    [Fact]
    public async Task AddFeatureFlagEvents_CalledTwice_RegistersOnceAsSingletonAndHostedService()
    {
        var services = new ServiceCollection();
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { EnvSecret = "s" }));
        services.AddFeatureFlagEvents();
        var count = services.Count;
        services.AddFeatureFlagEvents();
        Assert.Equal(count, services.Count);

        await using var provider = services.BuildServiceProvider();
        var processor = provider.GetRequiredService<EventProcessor>();
        Assert.Same(processor, Assert.Single(provider.GetServices<IHostedService>()));
    }

    [Theory]
    [InlineData("http://localhost:5100", "http://localhost:5100/api/public/insight/track")]
    [InlineData("https://contoso.com/featbit", "https://contoso.com/featbit/api/public/insight/track")]
    [InlineData("https://contoso.com/featbit/", "https://contoso.com/featbit/api/public/insight/track")]
    public void EndpointOf_Base_KeepsThePathPrefix(string eventUri, string expected)
        => Assert.Equal(expected, EventSender.EndpointOf(new Uri(eventUri)).ToString());
    [Fact]
    public async Task Sink_Registered_TakesEveryEventAtOnceAndNothingIsBufferedOrSent()
    {
        var sink = new ListSink();
        var services = new ServiceCollection();
        services.AddSingleton<IInsightEventSink>(sink);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { Offline = true }));
        services.AddFeatureFlagEvents();
        await using var provider = services.BuildServiceProvider();
        var processor = provider.GetRequiredService<EventProcessor>();
        var store = TestFlags.Store(TestFlags.OneRule("f"));
        var client = new FeatureFlags.Evaluation.Internal.FeatureFlagClient(store, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<FeatureFlagsOptions>>(), processor);
        await processor.StartAsync(CancellationToken.None);

        client.StringVariation("f", User, "default");
        client.Track(User, "click", 2);
        client.Identify(User);
        client.Track(User, " ");

        Assert.True(processor.IsEnabled); // offline sends nothing; a local recorder still records
        Assert.Equal([InsightEventRecordKind.Evaluation, InsightEventRecordKind.Track, InsightEventRecordKind.Identify], sink.Events.Select(e => e.Kind));
        Assert.Equal(2, sink.Events[1].NumericValue);
        Assert.Equal(0, processor.Pending);
        Assert.Null(processor.Loop);
        Assert.Equal(1, processor.Invalid);
        await client.FlushAsync(TestContext.Current.CancellationToken);
        await processor.StopAsync(CancellationToken.None);
    }

    [Fact]
    [Trait("Conformance", "EVT-03")]
    public void Sink_Offline_WithoutSink_EventsAreOff()
    {
        var services = new ServiceCollection();
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { Offline = true }));
        services.AddFeatureFlagEvents();
        using var provider = services.BuildServiceProvider();

        Assert.False(provider.GetRequiredService<EventProcessor>().IsEnabled);
    }

    private sealed class ListSink : IInsightEventSink
    {
        public List<InsightEventRecord> Events { get; } = [];

        public void Record(in InsightEventRecord insightEvent) => Events.Add(insightEvent);
    }
}
