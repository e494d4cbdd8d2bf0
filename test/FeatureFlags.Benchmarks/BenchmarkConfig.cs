using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// A short, local job: one launch, 3 warm-ups, 10 measured iterations. Both benchmark classes finish in a few
/// minutes on a 2-core machine; the error column says how far to trust a single run. The classes add
/// <c>[MemoryDiagnoser]</c> themselves.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        AddJob(Job.Default
            .WithId("Short")
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10));
        AddColumn(CategoriesColumn.Default);

        // On a shared 2-core VM the mean moves with the neighbours; the fastest and the middle iteration move less.
        AddColumn(StatisticColumn.Min, StatisticColumn.Median);
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared));
        HideColumns(Column.Job, Column.LaunchCount, Column.WarmupCount, Column.IterationCount);
    }
}
