using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Xunit;
using static FeatureFlags.Tests.Store.FlagStoreTests;

namespace FeatureFlags.Tests.Store;

/// <summary>
/// <see cref="FlagKeyIndex"/>, the table every evaluation looks its flag up in: finds every indexed key of any length
/// and no other, reads every byte of a key into its hash, survives keys that share a slot, and serves a patch's array
/// of replaced flags as it is.
/// </summary>
public sealed class FlagKeyIndexTests
{
    [Fact]
    public void EveryLength_FindsEachKey_AndNoKeyOneCharAway()
    {
        // Lengths 1 to 80 cross each branch of the hash: under 4, 8 and 16 bytes, the inlined 8 to 16 chars, the loop (a
        // flag key is never empty: the store refuses one).
        var keys = Enumerable.Range(1, 80).Select(n => new string('k', n)).ToArray();
        var (index, flags) = Index(keys);

        foreach (var flag in flags)
        {
            Assert.Same(flag, index.Find(flag.Key, flags));
            Assert.Same(flag, index.Find(new string(flag.Key.AsSpan()), flags)); // by value, not by reference
            for (var at = 0; at < flag.Key.Length; at++)
            {
                Assert.Null(index.Find(Replace(flag.Key, at, 'j'), flags));
            }

            Assert.Null(index.Find(flag.Key + "\0", flags));
        }
    }

    [Fact]
    public void Hash_ReadsEveryByteOfTheKey()
    {
        // A byte left out of the hash would give a key and the key with that byte changed the same hash. Both bytes of
        // each char are changed in turn, at every position of keys of every length up to 80 chars.
        for (var length = 1; length <= 80; length++)
        {
            var key = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26))));
            var hash = FlagKeyIndex.Hash(key);
            for (var at = 0; at < length; at++)
            {
                Assert.NotEqual(hash, FlagKeyIndex.Hash(Replace(key, at, (char)(key[at] ^ 0x01))));
                Assert.NotEqual(hash, FlagKeyIndex.Hash(Replace(key, at, (char)(key[at] ^ 0x0100))));
            }
        }
    }

    [Fact]
    public void Hash_DependsOnTheLength_NotOnlyOnTheBytesRead()
    {
        // Overlapping reads see the same bytes for "aaaaaaaa" (8 chars) and "aaaaaaaaa" (9); the length tells them apart.
        for (var length = 0; length < 40; length++)
        {
            Assert.NotEqual(FlagKeyIndex.Hash(new string('a', length)), FlagKeyIndex.Hash(new string('a', length + 1)));
        }
    }

    [Fact]
    public void ManyKeys_SpreadOverTheSlots_AndEveryOneIsFound()
    {
        // Keys that differ in one or two chars (the usual shape: a prefix and a number), many of them sharing slots.
        var keys = Enumerable.Range(0, 5000).Select(i => $"checkout-flow-{i}").ToArray();
        var (index, flags) = Index(keys);

        Assert.All(flags, flag => Assert.Same(flag, index.Find(flag.Key, flags)));
        Assert.All(Enumerable.Range(5000, 2000), i => Assert.Null(index.Find($"checkout-flow-{i}", flags)));

        // The top bits of the hashes of these keys fill the slots about evenly: no slot starts more than a few probes.
        var slots = 1 << 14; // twice 5,000 rounded up to a power of two
        var counts = new int[slots];
        foreach (var key in keys)
        {
            counts[FlagKeyIndex.Hash(key) >> (64 - 14)]++;
        }

        Assert.InRange(counts.Max(), 1, 8);
    }

    [Fact]
    public void NonAsciiKeys_FoundByTheirChars()
    {
        var (index, flags) = Index(["é", "ключ-флага", "旗帜", "emoji-🚩-flag"]);

        Assert.All(flags, flag => Assert.Same(flag, index.Find(flag.Key, flags)));
        Assert.Null(index.Find("e", flags));
        Assert.Null(index.Find(string.Empty, flags));
        Assert.Null(new FlagKeyIndex([]).Find("anything", []));
    }

    [Fact]
    public void SharedByAReplacingPatch_FindsTheFlagsOfTheArrayItIsGiven()
    {
        // A patch that replaces flags keeps every key at its position, so the new snapshot shares the index and passes its
        // own flags; the old snapshot keeps finding its own.
        var (index, flags) = Index(["a", "b", "c"]);
        var (_, newer) = Index(["a", "b", "c"]);
        var patched = new[] { flags[0], newer[1], newer[2] };

        Assert.Same(flags[0], index.Find("a", patched));
        Assert.Same(newer[1], index.Find("b", patched));
        Assert.Same(newer[2], index.Find("c", patched));
        Assert.Same(flags[1], index.Find("b", flags));
    }

    private static string Replace(string key, int at, char with) => string.Create(key.Length, (key, at, with), static (span, s) =>
    {
        s.key.CopyTo(span);
        span[s.at] = s.with;
    });

    // Live flags with these keys, compiled by a store, and an index over them.
    private static (FlagKeyIndex Index, CompiledFlag[] Flags) Index(string[] keys)
    {
        var store = Fixtures.NewStore();
        store.ApplyFull(keys.Select((key, i) => Flag(key, i + 1)).ToList(), []);
        var flags = keys.Select(key => store.Current.Flags[key]).ToArray();
        return (new FlagKeyIndex(flags), flags);
    }
}
