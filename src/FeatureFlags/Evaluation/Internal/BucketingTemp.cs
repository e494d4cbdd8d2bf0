// TEMPORARY until the managed MD5 lands (deleted before commit).
#pragma warning disable CA5351
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FeatureFlags.Evaluation.Internal;

internal static class Bucketing
{
    public static double GetBucket(ReadOnlySpan<char> a, ReadOnlySpan<char> b) => B(string.Concat(a, b));

    public static double GetBucket(ReadOnlySpan<char> a, ReadOnlySpan<char> b, ReadOnlySpan<char> c) => B(string.Concat(a, b, c));

    public static bool IsInRollout(double min, double max, ReadOnlySpan<char> a, ReadOnlySpan<char> b, ReadOnlySpan<char> c)
        => !RequiresHash(min, max) ? IsInRolloutBucket(0, min, max) : IsInRolloutBucket(GetBucket(a, b, c), min, max);

    public static bool RequiresHash(double min, double max) => !(min == 0 && (1 - max < 1e-5 || max == 0));

    public static bool IsInRolloutBucket(double bucket, double min, double max)
    {
        if (min == 0 && 1 - max < 1e-5)
        {
            return true;
        }

        if (min == 0 && max == 0)
        {
            return false;
        }

        return min <= bucket && bucket <= max;
    }

    private static double B(string s) => Math.Abs((double)BinaryPrimitives.ReadInt32LittleEndian(MD5.HashData(Encoding.UTF8.GetBytes(s))) / int.MinValue);
}
