using System.Globalization;

namespace FeatureFlags.Sync.Internal;

/// <summary>Builds the token a FeatBit server expects on <c>/streaming?type=server&amp;token=...</c>.</summary>
/// <remarks>
/// The token is a reversible obfuscation of the environment secret plus the current time: treat it, and any URL that
/// carries it, as a secret. A fresh token is built for every connection attempt because the server rejects one older
/// than 30 s (close code 4003), which is also why a client clock skewed by more than 30 s cannot connect.
/// </remarks>
internal interface IConnectionTokenProvider
{
    string Create(string envSecret);
}

/// <inheritdoc />
internal sealed class ConnectionTokenProvider(TimeProvider timeProvider, Func<double> random) : IConnectionTokenProvider
{
    // Digit alphabet: 0->Q 1->B 2->W 3->S 4->P 5->H 6->D 7->X 8->Z 9->U.
    private const string Alphabet = "QBWSPHDXZU";

    public ConnectionTokenProvider(TimeProvider timeProvider)
        : this(timeProvider, Random.Shared.NextDouble)
    {
    }

    public string Create(string envSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(envSecret);
        var secret = envSecret.TrimEnd('=');
        var timestamp = timeProvider.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var position = Math.Max((int)Math.Floor(random() * secret.Length), 2);
        position = Math.Min(position, secret.Length);
        return Build(secret, timestamp, position);
    }

    /// <summary>The exact algorithm, with the inputs that are random or time-dependent given explicitly.</summary>
    internal static string Build(string secret, string timestamp, int position)
        => string.Concat(
            Encode(position, 3),
            Encode(timestamp.Length, 2),
            secret[..position],
            Encode(long.Parse(timestamp, CultureInfo.InvariantCulture), timestamp.Length),
            secret[position..]);

    /// <summary>Decimal <paramref name="number"/>, left-padded with 0 to <paramref name="width"/>, rightmost digits kept, mapped.</summary>
    internal static string Encode(long number, int width)
    {
        var digits = number.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
        digits = digits[^width..];
        return string.Create(width, digits, static (span, d) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[d[i] - '0'];
            }
        });
    }

    /// <summary>Decodes a run of alphabet letters back to the number (the server's reading; used by our test server).</summary>
    internal static long Decode(ReadOnlySpan<char> encoded)
    {
        long value = 0;
        foreach (var c in encoded)
        {
            var digit = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                throw new FormatException($"'{c}' is not a token digit.");
            }

            value = checked((value * 10) + digit);
        }

        return value;
    }

    /// <summary>Reads a token as the FeatBit server does: the insertion position, the timestamp and the secret.</summary>
    internal static bool TryParse(string? token, out int position, out long timestamp, out string secret)
    {
        position = 0;
        timestamp = 0;
        secret = string.Empty;
        try
        {
            if (token is null || token.Length < 5 || token.Trim().Length != token.Length)
            {
                return false;
            }

            position = (int)Decode(token.AsSpan(0, 3));
            var length = (int)Decode(token.AsSpan(3, 2));
            var payload = token.AsSpan(5);
            if (position > 255 || position + length > payload.Length)
            {
                return false;
            }

            timestamp = Decode(payload.Slice(position, length));
            secret = string.Concat(payload[..position], payload[(position + length)..]);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return false;
        }
    }
}
