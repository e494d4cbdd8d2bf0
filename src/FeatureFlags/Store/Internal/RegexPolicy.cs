using System.Text.RegularExpressions;

namespace FeatureFlags.Store.Internal;

/// <summary>
/// How rule regexes are compiled and guarded: the engine, the match timeout and the per-rule circuit breaker
/// (<see cref="Evaluation.Internal.RegexBreaker"/>). Built from <see cref="EvaluationOptions"/>; the benchmarks build
/// the pre-hardening policy (<see cref="Legacy"/>) to compare.
/// </summary>
internal sealed record RegexPolicy
{
    private const string WarmUpInput = "warm-up user-0042 jane.doe@example.com GB 12.5";

    /// <summary>Match timeouts within <see cref="DefaultBreakerWindow"/> that open a rule's breaker.</summary>
    public const int DefaultBreakerThreshold = 5;

    /// <summary>The window in which <see cref="DefaultBreakerThreshold"/> timeouts open a rule's breaker.</summary>
    public static readonly TimeSpan DefaultBreakerWindow = TimeSpan.FromSeconds(10);

    /// <summary>How long an open breaker keeps its rule from being evaluated.</summary>
    public static readonly TimeSpan DefaultBreakerOpenTime = TimeSpan.FromSeconds(30);

    /// <summary>The longest one match may run.</summary>
    public required TimeSpan MatchTimeout { get; init; }

    /// <summary>Whether patterns are compiled with <see cref="RegexOptions.NonBacktracking"/> where the engine accepts them.</summary>
    public bool PreferNonBacktracking { get; init; } = true;

    /// <summary>Timeouts within <see cref="BreakerWindow"/> that open a rule's breaker; 0 turns the breaker off.</summary>
    public int BreakerThreshold { get; init; } = DefaultBreakerThreshold;

    /// <summary>The counting window of the breaker.</summary>
    public TimeSpan BreakerWindow { get; init; } = DefaultBreakerWindow;

    /// <summary>How long an open breaker stays open.</summary>
    public TimeSpan BreakerOpenTime { get; init; } = DefaultBreakerOpenTime;

    /// <summary>The clock of the breaker.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The policy of the options: the non-backtracking engine where possible and the breaker on.</summary>
    public static RegexPolicy For(EvaluationOptions options, TimeProvider time)
        => new() { MatchTimeout = options.RegexMatchTimeout, Time = time };

    /// <summary>The behaviour before hardening (backtracking engine only, no breaker), for comparisons.</summary>
    public static RegexPolicy Legacy(TimeSpan matchTimeout)
        => new() { MatchTimeout = matchTimeout, PreferNonBacktracking = false, BreakerThreshold = 0 };

    /// <summary>
    /// Compiles <paramref name="pattern"/> as .NET's <see cref="Regex"/> with <see cref="RegexOptions.CultureInvariant"/>:
    /// with the non-backtracking engine (linear in the input) when preferred and the pattern allows it, else with the
    /// backtracking engine and <see cref="MatchTimeout"/>. Throws <see cref="ArgumentException"/> for an invalid pattern.
    /// </summary>
    /// <remarks>
    /// The new regex is matched once against a short input before it is returned: the first match of an engine (code
    /// compiled just in time, the non-backtracking engine's first automaton states) can take milliseconds, which must not
    /// count against the match timeout of a caller's evaluation. This runs where flags are compiled, off the hot path.
    /// </remarks>
    public Regex Compile(string pattern)
    {
        Regex? regex = null;
        if (PreferNonBacktracking)
        {
            try
            {
                // No match timeout: this engine's time is linear in the input (user values are at most
                // FlagUser.MaxValueLength characters), so a timeout could only fire on a busy machine, failing a legitimate
                // rule as "malformed flag". The timeout guards the backtracking engine below.
                regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
            }
            catch (NotSupportedException)
            {
                // A construct the non-backtracking engine refuses (backreference, lookaround, atomic group, conditional,
                // balancing group, \G...) or a pattern too large for it: the backtracking engine below, with the timeout.
            }
        }

        regex ??= new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        try
        {
            _ = regex.IsMatch(WarmUpInput);
        }
        catch (RegexMatchTimeoutException)
        {
            // Warming up only: a timeout here says nothing about the inputs evaluations will see.
        }

        return regex;
    }
}
