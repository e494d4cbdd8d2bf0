using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FeatureFlags.Tests.Events;

/// <summary>
/// The real event pipeline as the SDK registers it (<c>AddFeatureFlagEvents</c>: named HttpClient, resilience handler,
/// sender, processor) against a real in-process insight endpoint, with time driven by a <see cref="FakeTimeProvider"/>
/// that starts at Unix ms 1700000000000 (the fixtures' scrubbed timestamp).
/// </summary>
internal sealed class EventHarness : IAsyncDisposable
{
    public const long StartMs = 1_700_000_000_000;
    public const string Secret = FakeFeatBitServer.DefaultSecret;

    private EventHarness(FakeEventServer server, FeatureFlagsOptions options, IEnumerable<FlagDto> flags)
    {
        Server = server;
        Options = options;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs)));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.AddFeatureFlagEvents();
        Services = services.BuildServiceProvider();
        Processor = Services.GetRequiredService<EventProcessor>();
        Store = Fixtures.NewStore(options);
        if (flags.Any())
        {
            Store.ApplyFull([.. flags], []);
        }

        Client = new FeatureFlagClient(Store, Services.GetRequiredService<IOptions<FeatureFlagsOptions>>(), Processor);
    }

    public FakeEventServer Server { get; }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(StartMs));

    public FakeLogCollector Logs { get; } = new();

    public FeatureFlagsOptions Options { get; }

    public ServiceProvider Services { get; }

    public EventProcessor Processor { get; }

    public FlagStore Store { get; }

    public FeatureFlagClient Client { get; }

    public static async Task<EventHarness> CreateAsync(Action<FeatureFlagsOptions>? configure = null, IEnumerable<FlagDto>? flags = null, string pathPrefix = "")
    {
        var server = await FakeEventServer.StartAsync(pathPrefix);
        // Tests advance fake time while requests are in flight: a per-attempt timeout in fake time would fire at random.
        var options = new FeatureFlagsOptions { EnvSecret = Secret, Events = { Uri = server.BaseUri, SendTimeout = TimeSpan.FromHours(1) } };
        configure?.Invoke(options);
        return new EventHarness(server, options, flags ?? []);
    }

    /// <summary>Log records with the given EventId.</summary>
    public IReadOnlyList<FakeLogRecord> LogsWithId(int id) => [.. Logs.GetSnapshot().Where(r => r.Id.Id == id)];

    /// <summary>Advances fake time in steps until <paramref name="condition"/> holds (each step gives the loop a moment to arm its next timer).</summary>
    public Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, string what, int maxSteps = 200)
        => Time.AdvanceUntilAsync(condition, step, what, maxSteps, pauseMs: 10);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Processor.StopAsync(timeout.Token);
        await Services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
