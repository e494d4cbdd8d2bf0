using Microsoft.Extensions.Options;

namespace FeatureFlags.Internal;

/// <summary>
/// Validates <see cref="FeatureFlagsOptions"/> at startup; every failure names its configuration key
/// (<c>FeatureFlags:...</c>) so a bad appsettings.json fails fast and says where.
/// </summary>
/// <param name="client">
/// The named client these options belong to (its configuration section prefixes every key, e.g.
/// <c>FeatureFlags:Eu:EnvSecret</c>); null for the default client.
/// </param>
internal sealed class FeatureFlagsOptionsValidator(ClientIdentity? client = null) : IValidateOptions<FeatureFlagsOptions>
{
    private readonly string _prefix = client?.KeyPrefix ?? FeatureFlagsOptions.SectionName + ":";

    /// <summary>
    /// The longest timeout, interval or delay accepted. Timers, cancellation timeouts, regex timeouts and the Polly
    /// strategies behind these options refuse (much) longer values only when they are first used, far from the setting.
    /// </summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, FeatureFlagsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Streaming is null || options.Polling is null || options.Events is null || options.Evaluation is null || options.Failover is null)
        {
            // Only code can null a group (configuration binds into the existing instances).
            return ValidateOptionsResult.Fail($"{_prefix}Streaming, {_prefix}Polling, {_prefix}Failover, {_prefix}Events and {_prefix}Evaluation must not be null.");
        }

        if (!Enum.IsDefined(options.DataSync))
        {
            failures.Add($"{_prefix}{nameof(options.DataSync)} must be Auto, Streaming or Polling (was {(int)options.DataSync}).");
        }

        ValidatePolling(options.Polling, failures);
        if (options.Failover.FailAfter < 1)
        {
            failures.Add($"{_prefix}Failover:{nameof(options.Failover.FailAfter)} must be at least 1 (was {options.Failover.FailAfter}).");
        }

        Positive(options.Failover.ProbeInterval, $"Failover:{nameof(options.Failover.ProbeInterval)}");
        Positive(options.Failover.MaxProbeInterval, $"Failover:{nameof(options.Failover.MaxProbeInterval)}");
        Positive(options.Failover.SwitchBackAfter, $"Failover:{nameof(options.Failover.SwitchBackAfter)}");
        if (options.Failover.MaxProbeInterval < options.Failover.ProbeInterval)
        {
            failures.Add($"{_prefix}Failover:{nameof(options.Failover.MaxProbeInterval)} must not be less than {_prefix}Failover:{nameof(options.Failover.ProbeInterval)} (was {options.Failover.MaxProbeInterval} < {options.Failover.ProbeInterval}).");
        }

        if (!options.Offline && string.IsNullOrWhiteSpace(options.EnvSecret))
        {
            failures.Add($"{_prefix}{nameof(options.EnvSecret)} is required: the server-side secret of your FeatBit environment (or set {_prefix}{nameof(options.Offline)} = true).");
        }

        if (options.Streaming.Uri is not { IsAbsoluteUri: true } uri || uri.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            failures.Add($"{_prefix}Streaming:{nameof(options.Streaming.Uri)} must be an absolute ws://, wss://, http:// or https:// URI.");
        }
        else if (uri.UserInfo.Length > 0)
        {
            failures.Add(UserInfoRefused($"Streaming:{nameof(options.Streaming.Uri)}"));
        }

        // Timeouts, intervals and delays: above zero (or at least zero) and at most MaxDuration.
        Positive(options.Streaming.ConnectTimeout, $"Streaming:{nameof(options.Streaming.ConnectTimeout)}");
        Positive(options.Streaming.CloseTimeout, $"Streaming:{nameof(options.Streaming.CloseTimeout)}");
        Positive(options.Streaming.PingInterval, $"Streaming:{nameof(options.Streaming.PingInterval)}");
        Positive(options.Streaming.ReconnectDelay, $"Streaming:{nameof(options.Streaming.ReconnectDelay)}");
        Positive(options.Streaming.MaxReconnectDelay, $"Streaming:{nameof(options.Streaming.MaxReconnectDelay)}");
        Positive(options.Streaming.DataSyncTimeout, $"Streaming:{nameof(options.Streaming.DataSyncTimeout)}");
        if (options.Streaming.RetryAfterRejection != Timeout.InfiniteTimeSpan)
        {
            Positive(options.Streaming.RetryAfterRejection, $"Streaming:{nameof(options.Streaming.RetryAfterRejection)}");
        }

        Positive(options.Evaluation.RegexMatchTimeout, $"Evaluation:{nameof(options.Evaluation.RegexMatchTimeout)}");
        Positive(options.Events.FlushInterval, $"Events:{nameof(options.Events.FlushInterval)}");
        Positive(options.Events.SendTimeout, $"Events:{nameof(options.Events.SendTimeout)}");
        NotNegative(options.Events.ShutdownFlushTimeout, $"Events:{nameof(options.Events.ShutdownFlushTimeout)}", MaxDuration);
        NotNegative(options.StartWaitTime, nameof(options.StartWaitTime), MaxDuration);

        // Durations compared with elapsed time only: no upper bound.
        NotNegative(options.Streaming.HealthyConnectionTime, $"Streaming:{nameof(options.Streaming.HealthyConnectionTime)}");
        NotNegative(options.Streaming.FullResyncAfterOutage, $"Streaming:{nameof(options.Streaming.FullResyncAfterOutage)}");

        if (options.Streaming.MaxReconnectDelay < options.Streaming.ReconnectDelay)
        {
            failures.Add($"{_prefix}Streaming:{nameof(options.Streaming.MaxReconnectDelay)} ({options.Streaming.MaxReconnectDelay}) must not be less than {_prefix}Streaming:{nameof(options.Streaming.ReconnectDelay)} ({options.Streaming.ReconnectDelay}).");
        }

        if (options.Events.Uri is not { IsAbsoluteUri: true } eventUri || eventUri.Scheme is not ("http" or "https"))
        {
            failures.Add($"{_prefix}Events:{nameof(options.Events.Uri)} must be an absolute http:// or https:// URI.");
        }
        else if (eventUri.UserInfo.Length > 0)
        {
            failures.Add(UserInfoRefused($"Events:{nameof(options.Events.Uri)}"));
        }

        if (options.Events.BufferCapacity is < 1 or > 1_000_000)
        {
            failures.Add($"{_prefix}Events:{nameof(options.Events.BufferCapacity)} must be between 1 and 1000000 (was {options.Events.BufferCapacity}).");
        }

        if (options.Events.MaxBufferBytes is < 1024 * 1024 or > 1024 * 1024 * 1024)
        {
            failures.Add($"{_prefix}Events:{nameof(options.Events.MaxBufferBytes)} must be between 1048576 (1 MiB) and 1073741824 (1 GiB) (was {options.Events.MaxBufferBytes}).");
        }

        if (options.Events.MaxEventsPerRequest is < 1 or > 1000)
        {
            failures.Add($"{_prefix}Events:{nameof(options.Events.MaxEventsPerRequest)} must be between 1 and 1000 (was {options.Events.MaxEventsPerRequest}).");
        }

        // Blank means "no bootstrap file" (so an environment's appsettings can switch the base one off with "").
        if (options.BootstrapFile is { } bootstrap && !string.IsNullOrWhiteSpace(bootstrap) && !File.Exists(bootstrap))
        {
            failures.Add($"{_prefix}{nameof(options.BootstrapFile)} names a file that does not exist ('{bootstrap}').");
        }

        if (options.Streaming.MaxMessageSize < 1024)
        {
            failures.Add($"{_prefix}Streaming:{nameof(options.Streaming.MaxMessageSize)} must be at least 1024 bytes.");
        }

        if (options.MaxFileSize < 1024)
        {
            failures.Add($"{_prefix}{nameof(options.MaxFileSize)} must be at least 1024 bytes (was {options.MaxFileSize}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void ValidatePolling(PollingOptions polling, List<string> failures)
        {
            if (polling.Uri is { } pollingUri)
            {
                if (!pollingUri.IsAbsoluteUri || pollingUri.Scheme is not ("http" or "https"))
                {
                    failures.Add($"{_prefix}Polling:{nameof(polling.Uri)} must be an absolute http:// or https:// URI (or unset: derived from {_prefix}Streaming:Uri).");
                }
                else if (pollingUri.UserInfo.Length > 0)
                {
                    failures.Add(UserInfoRefused($"Polling:{nameof(polling.Uri)}"));
                }
            }

            if (polling.Interval < PollingOptions.MinInterval || polling.Interval > MaxDuration)
            {
                failures.Add($"{_prefix}Polling:{nameof(polling.Interval)} must be between {PollingOptions.MinInterval} and {MaxDuration} (was {polling.Interval}).");
            }

            if (polling.Timeout <= TimeSpan.Zero || polling.Timeout > MaxDuration)
            {
                failures.Add($"{_prefix}Polling:{nameof(polling.Timeout)} must be greater than zero and at most {MaxDuration} (was {polling.Timeout}).");
            }

            if (polling.RetryAfterRejection != Timeout.InfiniteTimeSpan && (polling.RetryAfterRejection <= TimeSpan.Zero || polling.RetryAfterRejection > MaxDuration))
            {
                failures.Add($"{_prefix}Polling:{nameof(polling.RetryAfterRejection)} must be greater than zero and at most {MaxDuration}, or infinite (was {polling.RetryAfterRejection}).");
            }
        }

        // The URI itself is not quoted: its user info is a credential.
        string UserInfoRefused(string key)
            => $"{_prefix}{key} must not contain user info (user:password@): it would be logged and shown in the health status. The SDK authenticates with {_prefix}{nameof(FeatureFlagsOptions.EnvSecret)}.";

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{_prefix}{key} must be greater than zero (was {value}).");
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
                failures.Add($"{_prefix}{key} must not be negative (was {value}).");
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
                failures.Add($"{_prefix}{key} must be at most {max} (was {value}).");
            }
        }
    }
}
