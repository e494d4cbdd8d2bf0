using System.Buffers;

namespace FeatureFlags.Tests.Support;

/// <summary>A byte pool that counts rents and returns and records each rented size (every rent is a new array).</summary>
internal sealed class CountingPool : ArrayPool<byte>
{
    private int _rents;
    private int _returns;

    public List<int> Rented { get; } = [];

    public int RentCount => Volatile.Read(ref _rents);

    public int ReturnCount => Volatile.Read(ref _returns);

    public override byte[] Rent(int minimumLength)
    {
        Interlocked.Increment(ref _rents);
        lock (Rented)
        {
            Rented.Add(minimumLength);
        }

        return new byte[minimumLength];
    }

    public override void Return(byte[] array, bool clearArray = false) => Interlocked.Increment(ref _returns);
}
