using System.Globalization;

namespace FeatureFlags.Benchmarks;

/// <summary>Percentiles of a latency histogram with fixed-width buckets and one overflow bucket at the end.</summary>
internal static class LatencyHistogram
{
    /// <summary>The upper bound of the bucket holding percentile <paramref name="p"/> (0..1), e.g. <c>&lt; 250 ns</c>.</summary>
    public static string Percentile(long[] histogram, int bucketNs, double p)
    {
        var buckets = histogram.Length - 1;
        var target = (long)Math.Ceiling(histogram.Sum() * p);
        long seen = 0;
        for (var b = 0; b < buckets; b++)
        {
            seen += histogram[b];
            if (seen >= target)
            {
                return string.Create(CultureInfo.InvariantCulture, $"< {(b + 1) * bucketNs:N0} ns");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $">= {buckets * bucketNs / 1000} µs");
    }
}
