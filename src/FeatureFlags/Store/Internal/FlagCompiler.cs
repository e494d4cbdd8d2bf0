using System.Globalization;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Store.Internal;

/// <summary>
/// Turns wire entities into compiled ones. Never throws for bad data: a problem is recorded on the entity and the
/// part that has it evaluates to an error result, while everything else keeps working.
/// </summary>
internal sealed partial class FlagCompiler
{
    /// <summary>The rule property that means "the user is in one of these segments".</summary>
    public const string InSegmentProperty = "User is in segment";

    /// <summary>The rule property that means "the user is in none of these segments".</summary>
    public const string NotInSegmentProperty = "User is not in segment";

    private readonly RegexPolicy _regexPolicy;

    public FlagCompiler(RegexPolicy regexPolicy)
    {
        _regexPolicy = regexPolicy;
    }

    /// <summary>Returns the flag's key, or null when the entity has no usable key.</summary>
    public static string? KeyOf(FlagDto dto) => string.IsNullOrWhiteSpace(dto.Key) ? null : dto.Key;

    /// <summary>Returns the segment's id, or null when it is not a GUID.</summary>
    public static Guid? IdOf(SegmentDto dto) => Guid.TryParse(dto.Id, out var id) ? id : null;

    public CompiledSegment CompileSegment(SegmentDto dto, Guid id)
    {
        List<string>? problems = null;
        var rules = new List<CompiledCondition[]>(dto.Rules?.Count ?? 0);
        var hasRegex = false;
        foreach (var rule in dto.Rules ?? [])
        {
            if (rule is null)
            {
                continue;
            }

            // Segment rules hold ordinary conditions only; a nested segment reference never matches.
            var conditions = CompileConditions(rule.Conditions, segments: null, ref problems);
            hasRegex |= HasRegex(conditions);
            rules.Add(conditions);
        }

        return new CompiledSegment
        {
            Id = id,
            Version = dto.UpdatedAt,
            IsArchived = dto.IsArchived,
            Included = StringSet.Of(dto.Included),
            Excluded = StringSet.Of(dto.Excluded),
            Rules = [.. rules],
            Problems = problems is null ? [] : [.. problems],
            HasRegex = hasRegex,
        };
    }

    /// <summary>Compiles a flag, resolving its segment references against <paramref name="segments"/>.</summary>
    public CompiledFlag CompileFlag(FlagDto dto, string key, IReadOnlyDictionary<Guid, CompiledSegment> segments)
    {
        // One index and one target list for every flag of the compiler (it compiles one flag at a time, under the
        // store's write lock): reset here, and nothing compiled keeps either.
        var variations = _variationIndex;
        variations.Reset();
        foreach (var v in dto.Variations ?? [])
        {
            if (v?.Id is null)
            {
                variations.Problem("a variation has no id");
                continue;
            }

            if (variations.Get(v.Id) is null)
            {
                variations.Add(new CompiledVariation(v.Id, v.Value ?? string.Empty));
            }
        }

        var disabled = dto.IsEnabled ? (dto.DisabledVariationId is null ? null : variations.Get(dto.DisabledVariationId))
                                     : variations.Find(dto.DisabledVariationId, "disabledVariationId");

        // The first target list that holds a key wins, as in the official SDKs.
        var targets = _targets;
        targets.Clear();
        HashSet<string>? targeted = null;
        foreach (var target in dto.TargetUsers ?? [])
        {
            if (target?.KeyIds is not { Count: > 0 } keys)
            {
                continue;
            }

            var variation = variations.Find(target.VariationId, "a target list");
            foreach (var k in keys)
            {
                if (k is not null && IsNewTarget(targets, ref targeted, k))
                {
                    targets.Add(new(k, variation));
                }
            }
        }

        HashSet<Guid>? segmentIds = null;
        var rules = new CompiledRule[CountNonNull(dto.Rules)];
        var ruleIndex = 0;
        foreach (var rule in dto.Rules ?? [])
        {
            if (rule is null)
            {
                continue;
            }

            var name = rule.Name ?? string.Empty;
            var conditions = CompileConditions(rule.Conditions, segments, ref variations.Problems, ref segmentIds);
            rules[ruleIndex++] = new CompiledRule
            {
                Name = name,
                Reason = ReasonFor(name),
                Conditions = conditions,
                Rollout = CompileRollout(rule.DispatchKey, rule.IncludedInExpt, rule.Variations, variations, rule.Name),
                Breaker = _regexPolicy.BreakerThreshold > 0 && HasRegex(conditions) ? new RegexBreaker(_regexPolicy) : null,
            };
        }

        CompiledRollout fallthrough;
        if (dto.Fallthrough is null)
        {
            fallthrough = new CompiledRollout { DispatchKey = null, IncludedInExpt = false, Slices = [] };
            variations.Problem("the flag has no fallthrough");
        }
        else
        {
            fallthrough = CompileRollout(dto.Fallthrough.DispatchKey, dto.Fallthrough.IncludedInExpt, dto.Fallthrough.Variations, variations, ruleName: null);
        }

        return new CompiledFlag
        {
            Key = key,
            Version = dto.UpdatedAt,
            IsArchived = dto.IsArchived,
            IsEnabled = dto.IsEnabled,
            DisabledVariation = disabled,
            Targets = TargetMap.Of(targets),
            Rules = rules,
            Fallthrough = fallthrough,
            ExptIncludeAllTargets = dto.ExptIncludeAllTargets,
            Variations = variations.ToArray(),
            VariationType = dto.VariationType ?? string.Empty,
            SegmentIds = segmentIds is null ? [] : [.. segmentIds],
            Problems = variations.Problems is null ? [] : [.. variations.Problems],
            Source = segmentIds is { Count: > 0 } ? dto : null,
            BucketPrefix = NeedsBucket(fallthrough, rules) ? Evaluation.Internal.BucketKeyPrefix.TryCreate(key) : null,
        };
    }

    // Whether a rollout of the flag can need the user's bucket (a flag whose slices are all fixed never hashes to dispatch).
    private static bool NeedsBucket(CompiledRollout fallthrough, CompiledRule[] rules)
    {
        if (fallthrough.FixedSlice == CompiledRollout.NeedsBucket)
        {
            return true;
        }

        foreach (var rule in rules)
        {
            if (rule.Rollout.FixedSlice == CompiledRollout.NeedsBucket)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Drops the strings shared during one apply (reason texts, list values), so the compiler keeps nothing between
    /// data-syncs. Called by the store, under its write lock, when an apply is done.
    /// </summary>
    public void EndApply()
    {
        _pool = null;
        _reasons = null;
        _conditions = null;
        _conditionsByEntity = null;
        _targets.Clear();
        _variationIndex.Reset();
    }

    private readonly VariationIndex _variationIndex = new();
    private readonly List<KeyValuePair<string, CompiledVariation?>> _targets = [];
    private Utf8StringPool? _pool;
    private Dictionary<string, string>? _reasons;
    private Dictionary<(string Property, string? Op, string Operand), CompiledCondition>? _conditions;
    private Dictionary<object, CompiledCondition>? _conditionsByEntity;

    /// <summary>"match rule &lt;name&gt;", one string per distinct name in an apply.</summary>
    private string ReasonFor(string name)
    {
        _reasons ??= new(StringComparer.Ordinal);
        if (!_reasons.TryGetValue(name, out var reason))
        {
            reason = "match rule " + name;
            _reasons[name] = reason;
        }

        return reason;
    }

    private static bool IsNewTarget(List<KeyValuePair<string, CompiledVariation?>> targets, ref HashSet<string>? seen, string key)
    {
        if (seen is not null)
        {
            return seen.Add(key);
        }

        foreach (var (existing, _) in targets)
        {
            if (string.Equals(existing, key, StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (targets.Count >= StringSet.MaxLinear)
        {
            // Past a handful of keys, a hash set finds duplicates (the list is scanned only while it is short).
            seen = new HashSet<string>(targets.Count * 2, StringComparer.Ordinal);
            foreach (var (existing, _) in targets)
            {
                seen.Add(existing);
            }

            seen.Add(key);
        }

        return true;
    }

    /// <summary>Whether evaluating <paramref name="conditions"/> may run a regex (directly or through a segment's rules).</summary>
    private static bool HasRegex(CompiledCondition[] conditions)
    {
        foreach (var c in conditions)
        {
            if (c.Regex is not null)
            {
                return true;
            }

            foreach (var segment in c.Segments ?? [])
            {
                if (segment.HasRegex)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static CompiledRollout CompileRollout(
        string? dispatchKey, bool includedInExpt, List<RolloutVariationDto>? variations, VariationIndex index, string? ruleName)
    {
        var slices = new RolloutSlice[CountNonNull(variations)];
        var i = 0;
        foreach (var v in variations ?? [])
        {
            if (v is null)
            {
                continue;
            }

            var valid = v.Rollout is { Length: 2 };
            var min = valid ? v.Rollout![0] : double.NaN;
            var max = valid ? v.Rollout![1] : double.NaN;
            var width = valid ? max - min : 0;
            var upper = v.ExptRollout == 0 || width == 0 ? 0 : Math.Min(v.ExptRollout / width, 1);
            slices[i++] = new RolloutSlice
            {
                Variation = index.Find(v.Id, ruleName is null ? "fallthrough" : null, ruleName),
                Min = min,
                Max = max,
                IsValid = valid,
                ExperimentUpper = double.IsFinite(upper) ? upper : 0,
            };
        }

        return new CompiledRollout
        {
            DispatchKey = string.IsNullOrWhiteSpace(dispatchKey) ? null : dispatchKey,
            IncludedInExpt = includedInExpt,
            Slices = slices,
        };
    }

    private CompiledCondition[] CompileConditions(
        List<ConditionDto>? conditions, IReadOnlyDictionary<Guid, CompiledSegment>? segments, ref List<string>? problems)
    {
        HashSet<Guid>? none = null;
        return CompileConditions(conditions, segments, ref problems, ref none);
    }

    private CompiledCondition[] CompileConditions(
        List<ConditionDto>? conditions, IReadOnlyDictionary<Guid, CompiledSegment>? segments, ref List<string>? problems,
        ref HashSet<Guid>? segmentIds)
    {
        if (conditions is null || conditions.Count == 0)
        {
            return [];
        }

        var result = new CompiledCondition[CountNonNull(conditions)];
        var i = 0;
        foreach (var c in conditions)
        {
            if (c is null)
            {
                continue;
            }

            var compiled = CompileCondition(c, segments, ref segmentIds);
            if (compiled.Problem is not null)
            {
                (problems ??= []).Add(compiled.Problem);
            }

            result[i++] = compiled;
        }

        return result;
    }

    private CompiledCondition CompileCondition(ConditionDto c, IReadOnlyDictionary<Guid, CompiledSegment>? segments, ref HashSet<Guid>? segmentIds)
    {
        var property = c.Property ?? string.Empty;
        var operand = c.Value ?? string.Empty;

        // Segment conditions are recognised by their property; their op is null on the wire and ignored.
        if (property is InSegmentProperty or NotInSegmentProperty)
        {
            var kind = property == InSegmentProperty ? ConditionKind.InSegment : ConditionKind.NotInSegment;
            if (segments is null)
            {
                return new CompiledCondition { Kind = ConditionKind.Never, Property = property, Operand = operand };
            }

            if (!TryParseList(operand, out var ids))
            {
                return Broken(property, $"segment condition value '{operand}' is not a JSON array of segment ids");
            }

            if (segmentIds is null && ids.Count > 0)
            {
                segmentIds = [];
            }

            var resolved = new List<CompiledSegment>(ids.Count);
            foreach (var text in ids)
            {
                if (!Guid.TryParse(text, out var id))
                {
                    return Broken(property, $"segment id '{text}' is not a GUID");
                }

                segmentIds?.Add(id);
                if (!segments.TryGetValue(id, out var segment) || segment.IsArchived)
                {
                    return Broken(property, $"segment '{id}' is missing or archived");
                }

                resolved.Add(segment);
            }

            return new CompiledCondition { Kind = kind, Property = property, Operand = operand, Segments = [.. resolved] };
        }

        // An ordinary condition depends only on (property, op, value): one compiled instance (immutable, its set or
        // regex included) serves every rule of the apply that repeats it. The parser shares one entity per distinct
        // condition, so a repeat is usually found by the entity itself, before its three texts are hashed.
        _conditionsByEntity ??= new(ReferenceEqualityComparer.Instance);
        if (_conditionsByEntity.TryGetValue(c, out var known))
        {
            return known;
        }

        var key = (property, c.Op, operand);
        _conditions ??= [];
        if (!_conditions.TryGetValue(key, out var shared))
        {
            shared = CompileOrdinary(property, c.Op, operand);
            _conditions[key] = shared;
        }

        _conditionsByEntity[c] = shared;
        return shared;
    }

    private CompiledCondition CompileOrdinary(string property, string? op, string operand)
    {
        switch (op)
        {
            case "LessThan" or "LessEqualThan" or "BiggerThan" or "BiggerEqualThan":
                var isNumber = double.TryParse(operand, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number);
                return new CompiledCondition
                {
                    Kind = KindOf(op),
                    Property = property,
                    Operand = operand,
                    Number = isNumber ? number : double.NaN,
                };
            case "Equal" or "NotEqual" or "Contains" or "NotContain" or "StartsWith" or "EndsWith" or "IsTrue" or "IsFalse":
                return new CompiledCondition { Kind = KindOf(op), Property = property, Operand = operand };
            case "MatchRegex" or "NotMatchRegex":
                try
                {
                    var regex = _regexPolicy.Compile(operand);
                    return new CompiledCondition { Kind = KindOf(op), Property = property, Operand = operand, Regex = regex };
                }
                catch (ArgumentException ex)
                {
                    return Broken(property, $"invalid regular expression '{operand}': {ex.Message}");
                }

            case "IsOneOf" or "NotOneOf":
                if (!TryParseList(operand, out var values))
                {
                    return Broken(property, $"list value '{operand}' is not a JSON array of strings");
                }

                return new CompiledCondition
                {
                    Kind = KindOf(op),
                    Property = property,
                    Operand = operand,
                    Set = StringSet.Of(values),
                };
            default:
                return new CompiledCondition { Kind = ConditionKind.Never, Property = property, Operand = operand };
        }
    }

    private static CompiledCondition Broken(string property, string problem)
        => new() { Kind = ConditionKind.Broken, Property = property, Problem = problem };
}
