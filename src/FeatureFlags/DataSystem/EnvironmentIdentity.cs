using System.Security.Cryptography;
using System.Text;

namespace FeatureFlags.DataSystem;

/// <summary>
/// The identity of a FeatBit environment that persistent stores key their data by (the <c>environmentId</c> of
/// <see cref="IPersistentFlagStore"/>): a SHA-256 digest of the environment secret under a fixed context string, so it
/// names the environment without revealing the secret.
/// </summary>
/// <remarks>A data source that reads what a persistent store wrote (a read-only "daemon" source) keys by the same identity.</remarks>
public static class EnvironmentIdentity
{
    private const string Context = "featureflags/environment/v1\n";

    /// <summary>Gets the identity of the environment whose secret is <paramref name="envSecret"/>.</summary>
    /// <param name="envSecret">The environment secret (<see cref="FeatureFlagsOptions.EnvSecret"/>).</param>
    /// <returns>32 lowercase hex characters (128 bits of the digest).</returns>
    public static string Of(string envSecret)
    {
        ArgumentNullException.ThrowIfNull(envSecret);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(Context + envSecret), digest);
        return Convert.ToHexStringLower(digest[..16]);
    }
}
