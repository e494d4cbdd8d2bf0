using System.Globalization;
using System.Text.Json;

namespace FeatureFlags.Testing.Internal;

/// <summary>What a test flag serves: a single value, or a percentage split.</summary>
internal sealed class Serve
{
    private Serve(FlagValue? value, (FlagValue Value, double Percent)[]? split)
    {
        Value = value;
        Split = split;
    }

    public FlagValue? Value { get; }

    public (FlagValue Value, double Percent)[]? Split { get; }

    public static Serve Single(FlagValue value) => new(value, null);

    /// <summary>A split in percent; they must add up to 100.</summary>
    public static Serve Percentage((FlagValue Value, double Percent)[] split)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Length == 0)
        {
            throw new ArgumentException("A percentage split needs at least one value.", nameof(split));
        }

        var total = 0.0;
        foreach (var (_, percent) in split)
        {
            if (!double.IsFinite(percent) || percent < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(split), percent, "A percentage must be a finite number of at least 0.");
            }

            total += percent;
        }

        if (Math.Abs(total - 100) > 1e-9)
        {
            throw new ArgumentException($"The percentages must add up to 100 (they add up to {total.ToString(CultureInfo.InvariantCulture)}).", nameof(split));
        }

        return new(null, split);
    }

    public IEnumerable<FlagValue> Values => Split is { } split ? split.Select(static s => s.Value) : [Value!.Value];
}

/// <summary>One rule of a test flag: its name, its conditions (all must match) and what it serves.</summary>
internal sealed record RuleDefinition(string Name, IReadOnlyList<Condition> Conditions, Serve Serve);

/// <summary>
/// The mutable definition of one test flag, kept by <see cref="InMemoryFlags"/> under its lock and turned into the
/// FeatBit wire model (<see cref="WriteTo"/>), which the real store compiles like server data.
/// </summary>
internal sealed class FlagDefinition
{
    public FlagDefinition(string key)
    {
        Key = key;
    }

    public string Key { get; }

    /// <summary>Whether any builder method has defined the flag (a bare <c>Flag(key)</c> defines nothing).</summary>
    public bool IsDefined { get; set; }

    /// <summary>The version (<c>updatedAt</c>) of the last change; grows with every change.</summary>
    public long Version { get; set; }

    public FlagValueKind Kind { get; private set; }

    public bool IsEnabled { get; set; } = true;

    public FlagValue? OffValue { get; set; }

    public Serve? Fallthrough { get; set; }

    public string? BucketBy { get; set; }

    public bool InExperiment { get; set; }

    public bool ExperimentIncludesTargets { get; set; }

    /// <summary>Individually targeted user keys and their value, in the order first given.</summary>
    public Dictionary<string, FlagValue> Targets { get; } = new(StringComparer.Ordinal);

    public List<RuleDefinition> Rules { get; } = [];

    /// <summary>Every distinct value the flag was given, in order: they become its variations.</summary>
    private List<FlagValue> Variations { get; } = [];

    public FlagDefinition Clone()
    {
        var copy = new FlagDefinition(Key)
        {
            IsDefined = IsDefined,
            Version = Version,
            Kind = Kind,
            IsEnabled = IsEnabled,
            OffValue = OffValue,
            Fallthrough = Fallthrough,
            BucketBy = BucketBy,
            InExperiment = InExperiment,
            ExperimentIncludesTargets = ExperimentIncludesTargets,
        };
        foreach (var (user, value) in Targets)
        {
            copy.Targets[user] = value;
        }

        copy.Rules.AddRange(Rules);
        copy.Variations.AddRange(Variations);
        return copy;
    }

    /// <summary>Checks that every value is of the flag's kind (fixing the kind on first use); throws before anything changes.</summary>
    public void Accept(IEnumerable<FlagValue> values)
    {
        var kind = Kind;
        foreach (var value in values)
        {
            if (value.Kind == FlagValueKind.None)
            {
                throw new ArgumentException($"Flag '{Key}': default(FlagValue) is not a value.", nameof(values));
            }

            if (kind == FlagValueKind.None)
            {
                kind = value.Kind;
            }
            else if (value.Kind != kind)
            {
                throw new ArgumentException(
                    $"Flag '{Key}' is a {Describe(kind)} flag; '{value.Text}' is a {Describe(value.Kind)}. All the values of one flag have one type.",
                    nameof(values));
            }
        }

        Kind = kind;
        foreach (var value in values)
        {
            if (!Variations.Contains(value))
            {
                Variations.Add(value);
            }
        }
    }

    /// <summary>The value served when the flag is off, and to everyone no target or rule decides for until one is set.</summary>
    private FlagValue DefaultValue => Kind is FlagValueKind.Boolean or FlagValueKind.None ? FlagValue.FromBoolean(false) : Variations[0];

    /// <summary>Writes the flag as FeatBit sends it (fixing its off value and fallthrough among its variations first).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        if (Kind == FlagValueKind.None)
        {
            Accept([FlagValue.FromBoolean(false)]);
        }

        var offValue = OffValue ?? DefaultValue;
        var fallthrough = Fallthrough ?? Serve.Single(DefaultValue);
        Accept([offValue]);
        Accept(fallthrough.Values);

        // Targets grouped by variation, in the order each variation was first targeted.
        var targets = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (user, value) in Targets)
        {
            var id = IdOf(value);
            if (!targets.TryGetValue(id, out var keys))
            {
                keys = [];
                targets[id] = keys;
            }

            keys.Add(user);
        }

        writer.WriteStartObject();
        writer.WriteString("id", "test-" + Key);
        writer.WriteString("key", Key);
        writer.WriteString("variationType", Describe(Kind));
        writer.WriteStartArray("variations");
        for (var i = 0; i < Variations.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("id", VariationId(i));
            writer.WriteString("value", Variations[i].Text);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("targetUsers");
        foreach (var (id, keys) in targets)
        {
            writer.WriteStartObject();
            WireWriter.WriteStrings(writer, "keyIds", keys);
            writer.WriteString("variationId", id);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("rules");
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            writer.WriteStartObject();
            writer.WriteString("id", "rule-" + i.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("name", rule.Name);
            writer.WriteString("dispatchKey", BucketBy);
            writer.WriteBoolean("includedInExpt", InExperiment);
            WireWriter.WriteConditions(writer, "conditions", rule.Conditions);
            WriteRollout(writer, rule.Serve);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteBoolean("isEnabled", IsEnabled);
        writer.WriteString("disabledVariationId", IdOf(offValue));
        writer.WriteStartObject("fallthrough");
        writer.WriteString("dispatchKey", BucketBy);
        writer.WriteBoolean("includedInExpt", InExperiment);
        WriteRollout(writer, fallthrough);
        writer.WriteEndObject();
        writer.WriteBoolean("exptIncludeAllTargets", ExperimentIncludesTargets);
        writer.WriteBoolean("isArchived", false);
        writer.WriteNumber("updatedAt", Version);
        writer.WriteEndObject();
    }

    /// <summary>Writes an archived tombstone: the store then answers "flag not found" for the key.</summary>
    public static void WriteTombstone(Utf8JsonWriter writer, string key, long version)
    {
        writer.WriteStartObject();
        writer.WriteString("id", "test-" + key);
        writer.WriteString("key", key);
        writer.WriteString("variationType", "boolean");
        writer.WriteStartArray("variations");
        writer.WriteEndArray();
        writer.WriteBoolean("isArchived", true);
        writer.WriteNumber("updatedAt", version);
        writer.WriteEndObject();
    }

    /// <summary>A condition on a user attribute; throws <see cref="ArgumentException"/> on a bad attribute or operand count.</summary>
    public static Condition Condition(string attribute, RuleOperator op, IReadOnlyList<string> operands)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attribute);
        ArgumentNullException.ThrowIfNull(operands);
        var (wire, arity) = op switch
        {
            RuleOperator.Equal => ("Equal", 1),
            RuleOperator.NotEqual => ("NotEqual", 1),
            RuleOperator.Contains => ("Contains", 1),
            RuleOperator.NotContains => ("NotContain", 1),
            RuleOperator.StartsWith => ("StartsWith", 1),
            RuleOperator.EndsWith => ("EndsWith", 1),
            RuleOperator.IsOneOf => ("IsOneOf", -1),
            RuleOperator.NotOneOf => ("NotOneOf", -1),
            RuleOperator.IsTrue => ("IsTrue", 0),
            RuleOperator.IsFalse => ("IsFalse", 0),
            RuleOperator.MatchesRegex => ("MatchRegex", 1),
            RuleOperator.NotMatchesRegex => ("NotMatchRegex", 1),
            RuleOperator.LessThan => ("LessThan", 1),
            RuleOperator.LessThanOrEqual => ("LessEqualThan", 1),
            RuleOperator.GreaterThan => ("BiggerThan", 1),
            RuleOperator.GreaterThanOrEqual => ("BiggerEqualThan", 1),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown rule operator."),
        };

        if (arity >= 0 && operands.Count != arity)
        {
            throw new ArgumentException($"{op} takes {(arity == 0 ? "no operand" : "exactly one operand")} (got {operands.Count}).", nameof(operands));
        }

        var value = arity switch
        {
            0 => string.Empty,
            1 => operands[0],
            _ => WireWriter.StringArray(operands),
        };
        return new Condition(attribute, wire, value);
    }

    /// <summary>A numeric operand as FeatBit stores it (invariant culture, round-trippable).</summary>
    public static string Operand(double number) => number.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes <c>variations</c>: the rollout slices of what a rule or the fallthrough serves.</summary>
    private void WriteRollout(Utf8JsonWriter writer, Serve serve)
    {
        writer.WriteStartArray("variations");
        if (serve.Split is not { } split)
        {
            WriteSlice(writer, IdOf(serve.Value!.Value), 0, 1, InExperiment ? 1 : 0);
        }
        else
        {
            var start = 0.0;
            var cumulative = 0.0;
            for (var i = 0; i < split.Length; i++)
            {
                var (value, percent) = split[i];
                cumulative += percent;
                if (percent == 0)
                {
                    continue;
                }

                // The last non-empty slice ends at exactly 1, whatever the rounding of the sum.
                var end = split.Skip(i + 1).All(static s => s.Percent == 0) ? 1.0 : cumulative / 100;
                WriteSlice(writer, IdOf(value), start, end, InExperiment ? end - start : 0);
                start = end;
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteSlice(Utf8JsonWriter writer, string variationId, double start, double end, double exptRollout)
    {
        writer.WriteStartObject();
        writer.WriteString("id", variationId);
        writer.WriteStartArray("rollout");
        writer.WriteNumberValue(start);
        writer.WriteNumberValue(end);
        writer.WriteEndArray();
        writer.WriteNumber("exptRollout", exptRollout);
        writer.WriteEndObject();
    }

    private string IdOf(FlagValue value) => VariationId(Variations.IndexOf(value));

    private static string VariationId(int index) => "v" + index.ToString(CultureInfo.InvariantCulture);

    private static string Describe(FlagValueKind kind) => kind switch
    {
        FlagValueKind.Boolean => "boolean",
        FlagValueKind.Number => "number",
        FlagValueKind.Json => "json",
        _ => "string",
    };
}
