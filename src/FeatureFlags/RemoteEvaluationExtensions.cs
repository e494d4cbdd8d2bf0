using FeatureFlags.Evaluation.Internal;

namespace FeatureFlags;

/// <summary>Evaluations for callers elsewhere: what a remote-evaluation protocol (OFREP, OpenFeature) needs to answer.</summary>
public static class RemoteEvaluationExtensions
{
    /// <summary>
    /// Evaluates one flag for <paramref name="user"/> as <see cref="IFeatureFlagClient.StringVariationDetail"/> does
    /// (recording the evaluation event), and adds the flag's declared value type and OpenFeature's reason.
    /// </summary>
    /// <param name="client">The client (the SDK's own; another implementation gets <see cref="FlagVariationType.Unknown"/> and no <c>SPLIT</c>).</param>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <returns>The evaluation; never throws for a missing flag or broken data (the detail's kind says what happened).</returns>
    /// <remarks>The value type and the reason come from the same snapshot of the flags as the value.</remarks>
    public static RemoteEvaluation EvaluateRemote(this IFeatureFlagClient client, string flagKey, FlagUser user)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(flagKey);
        ArgumentNullException.ThrowIfNull(user);
        return client is FeatureFlagClient own
            ? own.EvaluateRemote(flagKey, user)
            : Fallback(client.StringVariationDetail(flagKey, user, string.Empty));
    }

    /// <summary>
    /// Evaluates every live flag for <paramref name="user"/> from one snapshot, as <see cref="IFeatureFlagClient.GetAllFlags"/>
    /// does (no evaluation event is recorded), with each flag's declared value type and OpenFeature's reason.
    /// </summary>
    /// <param name="client">The client (the SDK's own; another implementation gets <see cref="FlagVariationType.Unknown"/> and no <c>SPLIT</c>).</param>
    /// <param name="user">The user.</param>
    /// <param name="flags">The evaluations, ordered by flag key (ordinal); empty when the client has no flag data yet.</param>
    /// <returns><see langword="false"/> when the client has no flag data yet (not initialized).</returns>
    public static bool TryEvaluateAllRemote(this IFeatureFlagClient client, FlagUser user, out IReadOnlyList<RemoteEvaluation> flags)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(user);
        if (client is FeatureFlagClient own)
        {
            return own.TryEvaluateAllRemote(user, out flags);
        }

        var state = client.GetAllFlags(user);
        var list = new List<RemoteEvaluation>(state.Flags.Count);
        foreach (var detail in state.Flags.Values)
        {
            list.Add(Fallback(detail));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Detail.FlagKey, b.Detail.FlagKey));
        flags = list;
        return state.IsReady;
    }

    private static RemoteEvaluation Fallback(EvaluationDetail<string> detail)
        => new(detail, FlagVariationType.Unknown, OpenFeatureReasons.Of(detail.Kind, isStatic: false, split: false));
}
