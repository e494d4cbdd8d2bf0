using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>Tests that load every core: they run with no other test in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressTests
{
    public const string Name = "Stress";
}
