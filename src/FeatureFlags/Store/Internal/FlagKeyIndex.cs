using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FeatureFlags.Store.Internal;

/// <summary>
/// A snapshot's live flags by key: an open-addressing table of their positions in the snapshot's key-sorted arrays
/// (<see cref="FlagSnapshot.LiveFlags"/>), probed linearly, at most half full.
/// </summary>
/// <remarks>
/// Every evaluation starts with this look-up, so it is built for one: the key is hashed by two multiplications over its
/// chars (<see cref="Hash"/>), and the slot it lands on gives the flag, whose key is compared while its evaluation
/// already starts (the comparison is predicted to match). A slot holds a position, not the flag: 4 bytes, and a patch
/// that only replaces flags keeps every position, so it shares the table as it is (a table of the flags themselves,
/// 256 KB at 10,000 flags on the large-object heap, was copied by every patch: 1.7 ms a patch in collections). A patch
/// that adds or removes a flag moves positions and builds a new table. The keys come from the flag server, not from
/// users, so the hash needs no random seed against crafted collisions; a collision only costs a probe. A struct, held in
/// its snapshot's own fields: the look-up reads the table with one load fewer.
/// </remarks>
internal readonly struct FlagKeyIndex
{
    // Position + 1 of the flag whose probe sequence passes here, or 0 for an empty slot; a power of two long.
    private readonly int[] _slots;
    private readonly int _shift;

    /// <summary>Indexes <paramref name="flags"/> (distinct keys) by their positions.</summary>
    public FlagKeyIndex(CompiledFlag[] flags)
    {
        // At least twice as many slots as flags, so at least half of them are empty.
        var length = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, flags.Length * 2));
        _slots = new int[length];
        _shift = 64 - BitOperations.Log2((uint)length);
        var mask = length - 1;
        for (var position = 0; position < flags.Length; position++)
        {
            var slot = SlotOf(flags[position].Key);
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = position + 1;
        }
    }

    /// <summary>
    /// The flag with <paramref name="key"/> (not null: the callers check) in <paramref name="flags"/>, the array this
    /// index was built from (or one with the same key at every position), or null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public CompiledFlag? Find(string key, CompiledFlag[] flags)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var slot = SlotOf(key); ; slot = (slot + 1) & mask)
        {
            var position = slots[slot] - 1;
            if (position < 0)
            {
                return null;
            }

            var flag = flags[position];
            if (string.Equals(flag.Key, key, StringComparison.Ordinal))
            {
                return flag;
            }
        }
    }

    /// <summary>The slot <paramref name="key"/>'s probe starts at: the top bits of its hash.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(string key) => (int)(Hash(key) >> _shift);

    /// <summary>
    /// A 64-bit hash of <paramref name="key"/>'s chars, every byte of them read as 8-byte words, each pair of words folded
    /// into the value (seeded with the length) by one 128-bit multiplication, high half xor low half. A key of 8 to 16
    /// chars (most flag keys) is hashed here, its first and last 16 bytes (overlapping) in two independent products;
    /// any other length takes <see cref="HashOther"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the look-up's first step: inlined, it costs no call
    internal static ulong Hash(string key)
    {
        ref byte start = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(key.AsSpan()));
        nuint length = (nuint)key.Length * sizeof(char);
        return length - 16 <= 16
            ? Mix((length * Prime0) ^ Read(ref start, 0) ^ Prime1, Read(ref start, 8) ^ Prime2)
                ^ Mix(Read(ref start, length - 16) ^ Prime3, Read(ref start, length - 8) ^ Prime4)
            : HashOther(ref start, length);
    }

    /// <summary>
    /// <see cref="Hash"/> of a key shorter than 8 chars or longer than 16 (<paramref name="length"/> bytes from
    /// <paramref name="start"/>): whole 16-byte blocks folded in turn, then the last 16 bytes; or, under 16 bytes, the
    /// first and the last 8, 4 or 2.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong HashOther(ref byte start, nuint length)
    {
        ulong seed = length * Prime0;
        if (length > 32)
        {
            for (nuint offset = 0; offset + 16 < length; offset += 16)
            {
                seed = Mix(seed ^ Read(ref start, offset) ^ Prime1, Read(ref start, offset + 8) ^ Prime2);
            }

            return Mix(seed ^ Read(ref start, length - 16) ^ Prime1, Read(ref start, length - 8) ^ Prime2);
        }

        if (length >= 8)
        {
            return Mix(seed ^ Read(ref start, 0) ^ Prime1, Read(ref start, length - 8) ^ Prime2);
        }

        // One to three chars (two to six bytes), or none: the first and the last four bytes, or the one char twice.
        ulong low = length >= 4 ? Unsafe.ReadUnaligned<uint>(ref start) : length == 2 ? Unsafe.ReadUnaligned<ushort>(ref start) : 0UL;
        ulong high = length >= 4 ? Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, length - 4)) : low;
        return Mix(seed ^ low ^ Prime1, (high << 32 | high) ^ Prime2);
    }

    private const ulong Prime0 = 0x9E3779B97F4A7C15;
    private const ulong Prime1 = 0xA0761D6478BD642F;
    private const ulong Prime2 = 0xE7037ED1A0B428DB;
    private const ulong Prime3 = 0x8EBC6AF09C88C6E3;
    private const ulong Prime4 = 0x589965CC75374CC3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(ref byte start, nuint offset) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x, ulong y)
        => Math.BigMul(x, y, out _) ^ (x * y); // the low half multiplied again: BigMul's would come back through memory
}
