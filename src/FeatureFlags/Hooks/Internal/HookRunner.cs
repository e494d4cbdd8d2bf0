using System.Runtime.CompilerServices;
using FeatureFlags.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FeatureFlags.Hooks.Internal;

/// <summary>
/// Runs a client's hooks around its evaluations and <c>Track</c> calls: before stages in registration order, after
/// stages in reverse order, each stage isolated (an exception is caught, logged once per hook, counted). The client
/// holds it only when at least one hook is registered, so a client without hooks pays one null check.
/// </summary>
internal sealed partial class HookRunner
{
    /// <summary>How many hooks keep their per-evaluation data on the stack; more hooks allocate one array per evaluation.</summary>
    internal const int InlineCapacity = 8;

    private readonly FeatureFlagsHook[] _hooks;
    private readonly string[] _names;

    // 1 once a failure of the hook at that index was logged.
    private readonly int[] _reported;
    private long _failures;
    private readonly ILogger _logger;

    public HookRunner(IReadOnlyList<FeatureFlagsHook> hooks, ILogger? logger = null, string? clientName = null)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        _hooks = [.. hooks];
        _names = new string[_hooks.Length];
        _reported = new int[_hooks.Length];
        _logger = logger ?? NullLogger.Instance;
        ClientName = clientName;
        for (var i = 0; i < _hooks.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(_hooks[i], nameof(hooks));
            _names[i] = LogText.Escape(NameOf(_hooks[i]));
        }

        if (_hooks.Length > 0)
        {
            LogHooksRegistered(_hooks.Length, _names);
        }
    }

    /// <summary>How many hooks run.</summary>
    public int Count => _hooks.Length;

    /// <summary>The hooks, in registration order.</summary>
    internal IReadOnlyList<FeatureFlagsHook> Hooks => _hooks;

    /// <summary>The named client's name (null for the default client), passed to every hook in its context.</summary>
    public string? ClientName { get; }

    /// <summary>How many stages threw, logged or not.</summary>
    internal long Failures => Interlocked.Read(ref _failures);

    /// <summary>Builds the runner of a client's container from its <see cref="HookRegistration"/>s, in registration order.</summary>
    public static HookRunner Create(IServiceProvider services)
    {
        var hooks = new List<FeatureFlagsHook>();
        foreach (var registration in services.GetServices<HookRegistration>())
        {
            hooks.Add(registration.Resolve(services));
        }

        return new HookRunner(hooks, services.GetService<ILogger<HookRunner>>(), services.GetService<ClientIdentity>()?.Name);
    }

    /// <summary>Runs every hook's before stage, in registration order, storing what each returns at its index.</summary>
    public void BeforeEvaluation<T>(in EvaluationSeriesContext<T> context, Span<EvaluationSeriesData> data)
    {
        var hooks = _hooks;
        for (var i = 0; i < hooks.Length; i++)
        {
            try
            {
                data[i] = hooks[i].BeforeEvaluation(in context);
            }
            catch (Exception e)
            {
                data[i] = default;
                Report(i, nameof(FeatureFlagsHook.BeforeEvaluation), e);
            }
        }
    }

    /// <summary>Runs every hook's after stage, in reverse registration order, each with the data its before stage returned.</summary>
    public void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, ReadOnlySpan<EvaluationSeriesData> data, in EvaluationDetail<T> detail)
    {
        var hooks = _hooks;
        for (var i = hooks.Length - 1; i >= 0; i--)
        {
            try
            {
                hooks[i].AfterEvaluation(in context, data[i], in detail);
            }
            catch (Exception e)
            {
                Report(i, nameof(FeatureFlagsHook.AfterEvaluation), e);
            }
        }
    }

    /// <summary>Runs every hook's track stage, in reverse registration order (an after stage).</summary>
    public void AfterTrack(in TrackSeriesContext context)
    {
        var hooks = _hooks;
        for (var i = hooks.Length - 1; i >= 0; i--)
        {
            try
            {
                hooks[i].AfterTrack(in context);
            }
            catch (Exception e)
            {
                Report(i, nameof(FeatureFlagsHook.AfterTrack), e);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Report(int index, string stage, Exception exception)
    {
        Interlocked.Increment(ref _failures);
        if (Interlocked.Exchange(ref _reported[index], 1) == 0)
        {
            LogHookFailed(_names[index], stage, exception);
        }
    }

    /// <summary>The hook's name for logs: its <see cref="FeatureFlagsHook.Name"/>, or its type's when that throws or is blank.</summary>
    private static string NameOf(FeatureFlagsHook hook)
    {
        try
        {
            if (!string.IsNullOrWhiteSpace(hook.Name))
            {
                return hook.Name;
            }
        }
        catch (Exception)
        {
            // A broken Name must not break the client: fall back to the type's name.
        }

        return hook.GetType().Name;
    }
}
