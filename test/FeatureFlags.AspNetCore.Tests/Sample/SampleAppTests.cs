using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Sample;

public sealed class SampleAppTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task Get_Root_SampleStartsAndServes()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken);

        response.EnsureSuccessStatusCode();
        Assert.Contains("FeatureFlags sample", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
