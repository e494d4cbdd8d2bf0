using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Store.Internal;

/// <summary>
/// Turns wire entities into compiled ones. Never throws for bad data: a problem is recorded on the entity and the
/// part that has it evaluates to an error result, while everything else keeps working.
/// </summary>
internal sealed class FlagCompiler
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
        var problems = new List<string>();
        var rules = new List<CompiledCondition[]>();
        foreach (var rule in dto.Rules ?? [])
        {
            if (rule is null)
            {
                continue;
            }

            // Segment rules hold ordinary conditions only; a nested segment reference never matches.
            rules.Add(CompileConditions(rule.Conditions, segments: null, problems));
        }

        return new CompiledSegment
        {
            Id = id,
            Version = dto.UpdatedAt,
            IsArchived = dto.IsArchived,
            Included = ToSet(dto.Included),
            Excluded = ToSet(dto.Excluded),
            Rules = [.. rules],
            Problems = [.. problems],
            HasRegex = rules.Any(HasRegex),
        };
    }

    /// <summary>Compiles a flag, resolving its segment references against <paramref name="segments"/>.</summary>
    public CompiledFlag CompileFlag(FlagDto dto, string key, IReadOnlyDictionary<Guid, CompiledSegment> segments)
    {
        var problems = new List<string>();
        var variations = new Dictionary<string, CompiledVariation>(StringComparer.Ordinal);
        var ordered = new List<CompiledVariation>();
        foreach (var v in dto.Variations ?? [])
        {
            if (v?.Id is null)
            {
                problems.Add("a variation has no id");
                continue;
            }

            var compiled = new CompiledVariation(v.Id, v.Value ?? string.Empty);
            if (variations.TryAdd(v.Id, compiled))
            {
                ordered.Add(compiled);
            }
        }

        CompiledVariation? Find(string? id, string where)
        {
            if (id is not null && variations.TryGetValue(id, out var found))
            {
                return found;
            }

            problems.Add($"{where} refers to missing variation '{id}'");
            return null;
        }

        var disabled = dto.IsEnabled ? (dto.DisabledVariationId is null ? null : variations.GetValueOrDefault(dto.DisabledVariationId))
                                     : Find(dto.DisabledVariationId, "disabledVariationId");

        // The first target list that holds a key wins, as in the official SDKs.
        var targets = new Dictionary<string, CompiledVariation?>(StringComparer.Ordinal);
        foreach (var target in dto.TargetUsers ?? [])
        {
            if (target?.KeyIds is not { Count: > 0 } keys)
            {
                continue;
            }

            var variation = Find(target.VariationId, "a target list");
            foreach (var k in keys)
            {
                if (k is not null)
                {
                    targets.TryAdd(k, variation);
                }
            }
        }

        var segmentIds = new HashSet<Guid>();
        var rules = new List<CompiledRule>();
        foreach (var rule in dto.Rules ?? [])
        {
            if (rule is null)
            {
                continue;
            }

            var name = rule.Name ?? string.Empty;
            var conditions = CompileConditions(rule.Conditions, segments, problems, segmentIds);
            rules.Add(new CompiledRule
            {
                Name = name,
                Reason = "match rule " + name,
                Conditions = conditions,
                Rollout = CompileRollout(rule.DispatchKey, rule.IncludedInExpt, rule.Variations, $"rule '{name}'", Find),
                Breaker = _regexPolicy.BreakerThreshold > 0 && HasRegex(conditions) ? new RegexBreaker(_regexPolicy) : null,
            });
        }

        var fallthrough = dto.Fallthrough is null
            ? new CompiledRollout { DispatchKey = null, IncludedInExpt = false, Slices = [] }
            : CompileRollout(dto.Fallthrough.DispatchKey, dto.Fallthrough.IncludedInExpt, dto.Fallthrough.Variations, "fallthrough", Find);
        if (dto.Fallthrough is null)
        {
            problems.Add("the flag has no fallthrough");
        }

        return new CompiledFlag
        {
            Key = key,
            Version = dto.UpdatedAt,
            IsArchived = dto.IsArchived,
            IsEnabled = dto.IsEnabled,
            DisabledVariation = disabled,
            Targets = targets.ToFrozenDictionary(StringComparer.Ordinal),
            Rules = [.. rules],
            Fallthrough = fallthrough,
            ExptIncludeAllTargets = dto.ExptIncludeAllTargets,
            Variations = [.. ordered],
            VariationType = dto.VariationType ?? string.Empty,
            SegmentIds = [.. segmentIds],
            Problems = [.. problems],
            Source = segmentIds.Count > 0 ? dto : null,
        };
    }

    /// <summary>Whether evaluating <paramref name="conditions"/> may run a regex (directly or through a segment's rules).</summary>
    private static bool HasRegex(CompiledCondition[] conditions)
        => conditions.Any(c => c.Regex is not null || (c.Segments?.Any(s => s.HasRegex) ?? false));

    private static CompiledRollout CompileRollout(
        string? dispatchKey, bool includedInExpt, List<RolloutVariationDto>? variations, string where,
        Func<string?, string, CompiledVariation?> find)
    {
        var slices = new List<RolloutSlice>();
        foreach (var v in variations ?? [])
        {
            if (v is null)
            {
                continue;
            }

            var valid = v.Rollout is { Count: 2 };
            var min = valid ? v.Rollout![0] : double.NaN;
            var max = valid ? v.Rollout![1] : double.NaN;
            var width = valid ? max - min : 0;
            var upper = v.ExptRollout == 0 || width == 0 ? 0 : Math.Min(v.ExptRollout / width, 1);
            slices.Add(new RolloutSlice
            {
                Variation = find(v.Id, where),
                Min = min,
                Max = max,
                IsValid = valid,
                ExperimentUpper = double.IsFinite(upper) ? upper : 0,
            });
        }

        return new CompiledRollout
        {
            DispatchKey = string.IsNullOrWhiteSpace(dispatchKey) ? null : dispatchKey,
            IncludedInExpt = includedInExpt,
            Slices = [.. slices],
        };
    }

    private CompiledCondition[] CompileConditions(
        List<ConditionDto>? conditions, IReadOnlyDictionary<Guid, CompiledSegment>? segments, List<string> problems,
        HashSet<Guid>? segmentIds = null)
    {
        var result = new List<CompiledCondition>();
        foreach (var c in conditions ?? [])
        {
            if (c is null)
            {
                continue;
            }

            var compiled = CompileCondition(c, segments, segmentIds);
            if (compiled.Problem is not null)
            {
                problems.Add(compiled.Problem);
            }

            result.Add(compiled);
        }

        return [.. result];
    }

    private CompiledCondition CompileCondition(ConditionDto c, IReadOnlyDictionary<Guid, CompiledSegment>? segments, HashSet<Guid>? segmentIds)
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

        switch (c.Op)
        {
            case "LessThan" or "LessEqualThan" or "BiggerThan" or "BiggerEqualThan":
                var isNumber = double.TryParse(operand, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number);
                return new CompiledCondition
                {
                    Kind = Enum.Parse<ConditionKind>(c.Op),
                    Property = property,
                    Operand = operand,
                    Number = isNumber ? number : double.NaN,
                };
            case "Equal" or "NotEqual" or "Contains" or "NotContain" or "StartsWith" or "EndsWith" or "IsTrue" or "IsFalse":
                return new CompiledCondition { Kind = Enum.Parse<ConditionKind>(c.Op), Property = property, Operand = operand };
            case "MatchRegex" or "NotMatchRegex":
                try
                {
                    var regex = _regexPolicy.Compile(operand);
                    return new CompiledCondition { Kind = Enum.Parse<ConditionKind>(c.Op), Property = property, Operand = operand, Regex = regex };
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
                    Kind = Enum.Parse<ConditionKind>(c.Op),
                    Property = property,
                    Operand = operand,
                    Set = values.ToFrozenSet(StringComparer.Ordinal),
                };
            default:
                return new CompiledCondition { Kind = ConditionKind.Never, Property = property, Operand = operand };
        }
    }

    private static CompiledCondition Broken(string property, string problem)
        => new() { Kind = ConditionKind.Broken, Property = property, Problem = problem };

    private static bool TryParseList(string json, out List<string> values)
    {
        values = [];
        try
        {
            var parsed = JsonSerializer.Deserialize(json, WireJsonContext.Default.ListString);
            if (parsed is null)
            {
                return false;
            }

            foreach (var v in parsed)
            {
                if (v is not null)
                {
                    values.Add(v);
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static FrozenSet<string> ToSet(List<string?>? values)
    {
        if (values is null || values.Count == 0)
        {
            return FrozenSet<string>.Empty;
        }

        return values.Where(v => v is not null).Select(v => v!).ToFrozenSet(StringComparer.Ordinal);
    }
}
