using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>The docs' second pattern: one app for all the tests of a class, its flags reset at the start of each test.</summary>
public sealed class SharedFactoryTests : IClassFixture<SharedFactoryTests.FlagsFactory>
{
    private readonly FlagsFactory _factory;

    public SharedFactoryTests(FlagsFactory factory)
    {
        _factory = factory;
        _factory.Flags.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reports_On_IsServed()
    {
        _factory.Flags.Flag("reports").On();
        _factory.Flags.SetStatus(FeatureFlagsState.Interrupted, "left over for the next test");
        using var client = _factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/reports", UriKind.Relative), Ct)).StatusCode);
    }

    [Fact]
    public async Task Reports_NotDefined_IsNotFound_AndNothingIsLeftFromOtherTests()
    {
        using var client = _factory.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/api/reports", UriKind.Relative), Ct)).StatusCode);
        Assert.Empty(_factory.Flags.FlagKeys);
        Assert.Empty(_factory.Flags.Events.Evaluations);
        Assert.Equal(FeatureFlagsState.Ready, _factory.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
    }

    /// <summary>A factory that owns the flags, as docs/testing.md shows it.</summary>
    public sealed class FlagsFactory : WebApplicationFactory<Program>
    {
        public InMemoryFlags Flags { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
            => builder.ConfigureTestServices(services => services.AddInMemoryFeatureFlags(Flags));
    }
}
