using System.Buffers;
using System.Globalization;
using System.Text;
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
        var variations = new VariationIndex(dto.Variations?.Count ?? 0);
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
        var targets = new List<KeyValuePair<string, CompiledVariation?>>();
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
        };
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
    }

    private Utf8StringPool? _pool;
    private Dictionary<string, string>? _reasons;
    private Dictionary<(string Property, string? Op, string Operand), CompiledCondition>? _conditions;

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

        var result = new List<CompiledCondition>(conditions.Count);
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

            result.Add(compiled);
        }

        return [.. result];
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
        // regex included) serves every rule of the apply that repeats it.
        var key = (property, c.Op, operand);
        _conditions ??= [];
        if (!_conditions.TryGetValue(key, out var shared))
        {
            shared = CompileOrdinary(property, c.Op, operand);
            _conditions[key] = shared;
        }

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

    private static int CountNonNull<T>(List<T>? items)
        where T : class
    {
        var count = 0;
        foreach (var item in items ?? [])
        {
            count += item is null ? 0 : 1;
        }

        return count;
    }

    /// <summary>The kind of a known operator (the caller has matched it against the names).</summary>
    private static ConditionKind KindOf(string op) => op switch
    {
        "LessThan" => ConditionKind.LessThan,
        "LessEqualThan" => ConditionKind.LessEqualThan,
        "BiggerThan" => ConditionKind.BiggerThan,
        "BiggerEqualThan" => ConditionKind.BiggerEqualThan,
        "Equal" => ConditionKind.Equal,
        "NotEqual" => ConditionKind.NotEqual,
        "Contains" => ConditionKind.Contains,
        "NotContain" => ConditionKind.NotContain,
        "StartsWith" => ConditionKind.StartsWith,
        "EndsWith" => ConditionKind.EndsWith,
        "MatchRegex" => ConditionKind.MatchRegex,
        "NotMatchRegex" => ConditionKind.NotMatchRegex,
        "IsOneOf" => ConditionKind.IsOneOf,
        "NotOneOf" => ConditionKind.NotOneOf,
        "IsTrue" => ConditionKind.IsTrue,
        "IsFalse" => ConditionKind.IsFalse,
        _ => ConditionKind.Never,
    };

    /// <summary>
    /// Reads a condition's list value (a JSON array of strings inside the string; nulls are dropped), with the wire
    /// reader's tolerance (comments, trailing commas); the values are shared through the apply's string pool.
    /// </summary>
    private bool TryParseList(string json, out List<string> values)
    {
        values = [];
        var pool = _pool ??= new Utf8StringPool();
        var byteCount = Encoding.UTF8.GetMaxByteCount(json.Length);
        byte[]? rented = null;
        Span<byte> utf8 = byteCount <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, utf8);
            var reader = new Utf8JsonReader(utf8[..length], new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }

            Span<byte> buffer = stackalloc byte[4 * Utf8StringPool.MaxPooledLength];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.Null:
                        continue;
                    case JsonTokenType.String when !reader.ValueIsEscaped:
                        values.Add(pool.Get(reader.ValueSpan));
                        continue;
                    case JsonTokenType.String when reader.ValueSpan.Length <= buffer.Length:
                        values.Add(pool.Get(buffer[..reader.CopyString(buffer)]));
                        continue;
                    case JsonTokenType.String:
                        values.Add(reader.GetString()!);
                        continue;
                    default:
                        return false;
                }
            }

            return !reader.Read();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The variations of the flag being compiled, and the problems found so far (created on the first).</summary>
    private sealed class VariationIndex(int capacity)
    {
        private readonly List<CompiledVariation> _ordered = new(capacity);
        private Dictionary<string, CompiledVariation>? _byId;

        public List<string>? Problems;

        public void Problem(string problem) => (Problems ??= []).Add(problem);

        public void Add(CompiledVariation variation)
        {
            _ordered.Add(variation);
            if (_byId is not null)
            {
                _byId[variation.Id] = variation;
            }
            else if (_ordered.Count > StringSet.MaxLinear)
            {
                _byId = new Dictionary<string, CompiledVariation>(_ordered.Count * 2, StringComparer.Ordinal);
                foreach (var v in _ordered)
                {
                    _byId.TryAdd(v.Id, v);
                }
            }
        }

        public CompiledVariation? Get(string id)
        {
            if (_byId is not null)
            {
                return _byId.GetValueOrDefault(id);
            }

            foreach (var v in _ordered)
            {
                if (string.Equals(v.Id, id, StringComparison.Ordinal))
                {
                    return v;
                }
            }

            return null;
        }

        /// <summary>The variation of <paramref name="id"/>, or null with a problem naming where the dangling id is.</summary>
        public CompiledVariation? Find(string? id, string? where, string? ruleName = null)
        {
            if (id is not null && Get(id) is { } found)
            {
                return found;
            }

            Problem($"{where ?? $"rule '{ruleName}'"} refers to missing variation '{id}'");
            return null;
        }

        public CompiledVariation[] ToArray() => [.. _ordered];
    }
}
