using System.Runtime.CompilerServices;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// A flag key's share of the bucket hash of its keys (flag key + dispatch value), worked out once when the flag is
/// compiled: the MD5 state after the steps that read only the key's whole 4-byte words. A user's bucket then costs
/// writing the block (the key's bytes, then the user's) and the remaining steps.
/// </summary>
/// <remarks>
/// Only for an ASCII flag key that leaves room in MD5's one block, on little-endian hardware (<see cref="TryCreate"/>
/// returns null otherwise, and <see cref="TryGetFirstWord"/> refuses a dispatch value that is not ASCII or does not fit):
/// the caller then takes <see cref="Bucketing.GetBucket(ReadOnlySpan{char}, ReadOnlySpan{char})"/>, which gives the
/// same bucket. The block is written by <see cref="Md5BlockWriter"/>. 40 bytes per flag that needs a bucket: the
/// key's bytes are narrowed again for each block rather than kept.
/// </remarks>
internal sealed class BucketKeyPrefix
{
    private readonly string _key;
    private readonly Md5State _state;

    private BucketKeyPrefix(string key)
    {
        _key = key;
        Unsafe.SkipInit(out Md5Block block);
        var words = new Md5BlockWriter.BlockWords(ref block);
        Md5BlockWriter.TryWrite(key, part1IsAscii: true, [], ref words);
        _state = Md5.FirstSteps(block, key.Length / sizeof(uint));
    }

    /// <summary>The prefix of <paramref name="flagKey"/>, or null when its keys cannot take this path.</summary>
    public static BucketKeyPrefix? TryCreate(string flagKey)
        => BitConverter.IsLittleEndian && flagKey.Length <= Md5.MaxSingleBlockLength && System.Text.Ascii.IsValid(flagKey)
            ? new BucketKeyPrefix(flagKey)
            : null;

    /// <summary>
    /// The bucket's digest word (<see cref="Bucketing.ToBucket"/>) of the flag key + <paramref name="value"/>, or false
    /// when the value is not ASCII or the key does not fit one block.
    /// </summary>
    [SkipLocalsInit] // every word of the block is written before it is read
    public bool TryGetFirstWord(ReadOnlySpan<char> value, out int word)
    {
        Unsafe.SkipInit(out Md5Block block);
        var words = new Md5BlockWriter.BlockWords(ref block);
        if (!Md5BlockWriter.TryWrite(_key, part1IsAscii: true, value, ref words))
        {
            word = 0;
            return false;
        }

        word = Md5.FirstWordOfBlockFrom(_key.Length / sizeof(uint), _state, block);
        return true;
    }

    /// <summary>
    /// Writes the padded block of the flag key + <paramref name="value"/> as lane <paramref name="lane"/> of
    /// <paramref name="lanes"/>, or returns false when the value is not ASCII or the key does not fit one block (the lane
    /// is then undefined).
    /// </summary>
    public bool TryWriteLane(ref Md5Lanes lanes, int lane, ReadOnlySpan<char> value)
    {
        var words = new Md5BlockWriter.LaneWords(ref lanes, lane);
        return Md5BlockWriter.TryWrite(_key, part1IsAscii: true, value, ref words);
    }
}
