using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// What the package's option loaders share when they build options at pipeline time (not through <c>IOptions</c>): the
/// app's <c>Configure*</c> callbacks run in registration order, unknown keys and failed checks stop the start naming the key.
/// </summary>
internal static class OptionsLoading
{
    /// <summary>Runs every <see cref="IConfigureOptions{TOptions}"/> registered for <typeparamref name="T"/> on <paramref name="options"/>.</summary>
    public static void RunConfigureCallbacks<T>(IServiceProvider services, T options)
        where T : class
    {
        foreach (var setup in services.GetServices<IConfigureOptions<T>>())
        {
            if (setup is IConfigureNamedOptions<T> named)
            {
                named.Configure(Options.DefaultName, options);
            }
            else
            {
                setup.Configure(options);
            }
        }
    }

    /// <summary>Refuses a section holding a key <paramref name="isKnown"/> does not accept, naming each such key.</summary>
    /// <exception cref="OptionsValidationException">The section has an unknown key.</exception>
    public static void RejectUnknownKeys<T>(IConfigurationSection section, Func<string, bool> isKnown, string docsPage)
        => ThrowIfAny<T>(section.GetChildren()
            .Where(c => !isKnown(c.Key))
            .Select(c => $"{c.Path} is not a {section.Path} setting; check its spelling (see docs/{docsPage}).")
            .ToList());

    /// <exception cref="OptionsValidationException"><paramref name="failures"/> is not empty.</exception>
    public static void ThrowIfAny<T>(List<string> failures)
    {
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), failures);
        }
    }
}
