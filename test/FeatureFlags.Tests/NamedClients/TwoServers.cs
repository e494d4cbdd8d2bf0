using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.NamedClients;

/// <summary>
/// Two FeatBit environments for one app: two real fake servers (streaming) and two fake event endpoints, with different
/// secrets and a flag of the same key that is on in the default environment and off in "eu".
/// </summary>
internal sealed class TwoServers : IAsyncDisposable
{
    public const string EuSecret = "EUsecretEUsecretEUsecretEUsecretEUsecret-000";
    public const string FlagKey = "new-checkout";
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private const long V1 = 1_700_000_000_000;

    private TwoServers(FakeFeatBitServer main, FakeFeatBitServer eu, FakeEventServer mainEvents, FakeEventServer euEvents)
    {
        Main = main;
        Eu = eu;
        MainEvents = mainEvents;
        EuEvents = euEvents;
    }

    public FakeFeatBitServer Main { get; }

    public FakeFeatBitServer Eu { get; }

    public FakeEventServer MainEvents { get; }

    public FakeEventServer EuEvents { get; }

    public FakeLogCollector Logs { get; } = new();

    public static async Task<TwoServers> StartAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var main = await FakeFeatBitServer.StartAsync(ct: ct);
        var eu = await FakeFeatBitServer.StartAsync(ct: ct);
        eu.Secret = EuSecret;
        main.UpsertFlag(FakeFeatBitServer.BoolFlag(FlagKey, true, V1));
        eu.UpsertFlag(FakeFeatBitServer.BoolFlag(FlagKey, false, V1));
        return new TwoServers(main, eu, await FakeEventServer.StartAsync(), await FakeEventServer.StartAsync());
    }

    public Dictionary<string, string?> Settings() => new()
    {
        ["FeatureFlags:EnvSecret"] = FakeFeatBitServer.DefaultSecret,
        ["FeatureFlags:Streaming:Uri"] = Main.StreamingUri.ToString(),
        ["FeatureFlags:Events:Uri"] = MainEvents.BaseUri.ToString(),
        ["FeatureFlags:StartWaitTime"] = "00:00:30",
        ["FeatureFlags:DataSync"] = "Streaming",
        ["FeatureFlags:Eu:EnvSecret"] = EuSecret,
        ["FeatureFlags:Eu:Streaming:Uri"] = Eu.StreamingUri.ToString(),
        ["FeatureFlags:Eu:Events:Uri"] = EuEvents.BaseUri.ToString(),
        ["FeatureFlags:Eu:StartWaitTime"] = "00:00:30",
        ["FeatureFlags:Eu:DataSync"] = "Streaming",
    };

    /// <summary>A generic host with the default client and the named client "eu", both bound from configuration.</summary>
    public IHost BuildHost(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings ?? Settings());
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Bound);
        builder.Services.AddFeatureFlags(builder.Configuration);
        builder.Services.AddFeatureFlags("eu", builder.Configuration.GetSection("FeatureFlags:Eu"));
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        await Main.DisposeAsync();
        await Eu.DisposeAsync();
        await MainEvents.DisposeAsync();
        await EuEvents.DisposeAsync();
    }

    /// <summary>Waits (bounded) until the status satisfies <paramref name="condition"/>, on its change events.</summary>
    public static async Task WaitForStateAsync(IFeatureFlagsStatusProvider status, Func<FeatureFlagsState, bool> condition, string what)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, FeatureFlagsStatus s)
        {
            if (condition(s.State))
            {
                reached.TrySetResult();
            }
        }

        status.StatusChanged += OnChanged;
        try
        {
            if (!condition(status.Current.State))
            {
                try
                {
                    await reached.Task.WaitAsync(Bound, TestContext.Current.CancellationToken);
                }
                catch (TimeoutException)
                {
                    throw new TimeoutException($"Timed out waiting for {what} (state {status.Current.State}).");
                }
            }
        }
        finally
        {
            status.StatusChanged -= OnChanged;
        }
    }
}
