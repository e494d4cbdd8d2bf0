using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Redis.Internal;

/// <summary>The mode <c>UseRedis</c> registered services for (the validator checks the options still say so).</summary>
internal sealed record RedisRegistration(RedisStoreMode Mode);

/// <summary>Binds <c>FeatureFlags:Redis</c>, failing on an unknown key or a value that does not convert, naming the key.</summary>
internal static class RedisConfiguration
{
    private static readonly HashSet<string> Keys = new(
        typeof(FeatureFlagsRedisOptions).GetProperties().Select(static p => p.Name), StringComparer.OrdinalIgnoreCase);

    public static void Bind(IConfigurationSection section, FeatureFlagsRedisOptions options)
    {
        var unknown = section.GetChildren()
            .Where(static c => !Keys.Contains(c.Key))
            .Select(static c => $"{c.Path} is not a {FeatureFlagsRedisOptions.SectionName} setting; check its spelling (see docs/configuration.md).")
            .ToList();
        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(FeatureFlagsRedisOptions), unknown);
        }

        try
        {
            section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // A value that does not convert (e.g. "CheckInterval": "often"): the binder's message names the key.
            throw new OptionsValidationException(Options.DefaultName, typeof(FeatureFlagsRedisOptions), [ex.Message]);
        }
    }
}

/// <summary>Checks <see cref="FeatureFlagsRedisOptions"/> at start; every message names its key and never quotes the connection string.</summary>
internal sealed class RedisOptionsValidator(RedisRegistration? registration = null) : IValidateOptions<FeatureFlagsRedisOptions>
{
    private const string Section = FeatureFlagsRedisOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, FeatureFlagsRedisOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{Section}:ConnectionString is required (a StackExchange.Redis connection string, e.g. localhost:6379).");
        }
        else
        {
            try
            {
                if (StackExchange.Redis.ConfigurationOptions.Parse(options.ConnectionString).EndPoints.Count == 0)
                {
                    failures.Add($"{Section}:ConnectionString names no endpoint (host:port).");
                }
            }
            catch (ArgumentException)
            {
                failures.Add($"{Section}:ConnectionString is not a valid StackExchange.Redis connection string (its value is not shown: it may carry a password).");
            }
        }

        if (string.IsNullOrWhiteSpace(options.KeyPrefix) || options.KeyPrefix.Any(char.IsWhiteSpace))
        {
            failures.Add($"{Section}:KeyPrefix must be a non-empty prefix without white space.");
        }

        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{Section}:Mode must be Writer or Daemon.");
        }
        else if (registration is not null && registration.Mode != options.Mode)
        {
            failures.Add($"{Section}:Mode is {options.Mode}, but UseRedis registered {registration.Mode} services (the mode is read when UseRedis is called).");
        }

        if (options.CheckInterval <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:CheckInterval must be positive.");
        }

        if (options.LoadTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:LoadTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
