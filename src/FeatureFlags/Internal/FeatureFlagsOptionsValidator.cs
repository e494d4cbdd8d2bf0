using Microsoft.Extensions.Options;

namespace FeatureFlags.Internal;

/// <summary>
/// Validates <see cref="FeatureFlagsOptions"/> at startup; every failure names its configuration key
/// (<c>FeatureFlags:...</c>) so a bad appsettings.json fails fast and says where.
/// </summary>
internal sealed class FeatureFlagsOptionsValidator : IValidateOptions<FeatureFlagsOptions>
{
    private const string Prefix = FeatureFlagsOptions.SectionName + ":";

    /// <summary>
    /// The longest timeout, interval or delay accepted. Timers, cancellation timeouts, regex timeouts and the Polly
    /// strategies behind these options refuse (much) longer values only when they are first used, far from the setting.
    /// </summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, FeatureFlagsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (!options.Offline && string.IsNullOrWhiteSpace(options.EnvSecret))
        {
            failures.Add($"{Prefix}{nameof(options.EnvSecret)} is required: the server-side secret of your FeatBit environment (or set {Prefix}{nameof(options.Offline)} = true).");
        }

        if (options.StreamingUri is not { IsAbsoluteUri: true } uri || uri.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            failures.Add($"{Prefix}{nameof(options.StreamingUri)} must be an absolute ws://, wss://, http:// or https:// URI.");
        }

        // Timeouts, intervals and delays: above zero (or at least zero) and at most MaxDuration.
        Positive(options.ConnectTimeout, nameof(options.ConnectTimeout));
        Positive(options.CloseTimeout, nameof(options.CloseTimeout));
        Positive(options.PingInterval, nameof(options.PingInterval));
        Positive(options.ReconnectDelay, nameof(options.ReconnectDelay));
        Positive(options.MaxReconnectDelay, nameof(options.MaxReconnectDelay));
        Positive(options.RegexMatchTimeout, nameof(options.RegexMatchTimeout));
        Positive(options.EventFlushInterval, nameof(options.EventFlushInterval));
        Positive(options.EventSendTimeout, nameof(options.EventSendTimeout));
        NotNegative(options.EventShutdownFlushTimeout, nameof(options.EventShutdownFlushTimeout), MaxDuration);
        NotNegative(options.StartWaitTime, nameof(options.StartWaitTime), MaxDuration);

        // Durations compared with elapsed time only: no upper bound.
        NotNegative(options.HealthyConnectionTime, nameof(options.HealthyConnectionTime));
        NotNegative(options.FullResyncAfterOutage, nameof(options.FullResyncAfterOutage));

        if (options.MaxReconnectDelay < options.ReconnectDelay)
        {
            failures.Add($"{Prefix}{nameof(options.MaxReconnectDelay)} ({options.MaxReconnectDelay}) must not be less than {Prefix}{nameof(options.ReconnectDelay)} ({options.ReconnectDelay}).");
        }

        if (options.EventUri is not { IsAbsoluteUri: true } eventUri || eventUri.Scheme is not ("http" or "https"))
        {
            failures.Add($"{Prefix}{nameof(options.EventUri)} must be an absolute http:// or https:// URI.");
        }

        if (options.EventBufferCapacity is < 1 or > 1_000_000)
        {
            failures.Add($"{Prefix}{nameof(options.EventBufferCapacity)} must be between 1 and 1000000 (was {options.EventBufferCapacity}).");
        }

        if (options.MaxEventsPerRequest is < 1 or > 1000)
        {
            failures.Add($"{Prefix}{nameof(options.MaxEventsPerRequest)} must be between 1 and 1000 (was {options.MaxEventsPerRequest}).");
        }

        // Blank means "no bootstrap file" (so an environment's appsettings can switch the base one off with "").
        if (options.BootstrapFile is { } bootstrap && !string.IsNullOrWhiteSpace(bootstrap) && !File.Exists(bootstrap))
        {
            failures.Add($"{Prefix}{nameof(options.BootstrapFile)} names a file that does not exist ('{bootstrap}').");
        }

        if (options.MaxMessageSize < 1024)
        {
            failures.Add($"{Prefix}{nameof(options.MaxMessageSize)} must be at least 1024 bytes.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{Prefix}{key} must be greater than zero (was {value}).");
            }
            else
            {
                AtMost(value, key, MaxDuration);
            }
        }

        void NotNegative(TimeSpan value, string key, TimeSpan? max = null)
        {
            if (value < TimeSpan.Zero)
            {
                failures.Add($"{Prefix}{key} must not be negative (was {value}).");
            }
            else if (max is { } limit)
            {
                AtMost(value, key, limit);
            }
        }

        void AtMost(TimeSpan value, string key, TimeSpan max)
        {
            if (value > max)
            {
                failures.Add($"{Prefix}{key} must be at most {max} (was {value}).");
            }
        }
    }
}
