using System.Security.Cryptography;
using System.Text;

namespace FeatureFlags.DataSystem.Internal;

/// <summary>
/// The identity of a FeatBit environment that persistent stores key their data by: a SHA-256 digest of the
/// environment secret under a fixed context string, so it names the environment without revealing the secret.
/// </summary>
internal static class EnvironmentIdentity
{
    private const string Context = "featureflags/environment/v1\n";

    /// <summary>32 lowercase hex characters (128 bits of the digest).</summary>
    public static string Of(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(Context + secret), digest);
        return Convert.ToHexStringLower(digest[..16]);
    }
}
