using System.Globalization;
using System.Text.RegularExpressions;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Store.Internal;

// The compiled model: what the evaluator reads. Built once per data-sync (FlagCompiler), immutable afterwards,
// with every condition value pre-parsed, every reference resolved and every reason text precomputed, so
// evaluation does no parsing, locking or allocation.

/// <summary>A variation with its value pre-converted to every type a caller may ask for.</summary>
internal sealed class CompiledVariation
{
    public CompiledVariation(string id, string value)
    {
        Id = id;
        Value = value;
        if (value is "true" or "false")
        {
            // The common boolean flag: neither an int nor a double, so those parses are skipped.
            HasBool = true;
            Bool = value.Length == 4;
            return;
        }

        HasBool = bool.TryParse(value, out var b);
        Bool = b;
        HasInt = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i);
        Int = i;
        HasDouble = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && double.IsFinite(d);
        Double = d;
    }

    public string Id { get; }

    public string Value { get; }

    public bool HasBool { get; }

    public bool Bool { get; }

    public bool HasInt { get; }

    public int Int { get; }

    public bool HasDouble { get; }

    public double Double { get; }

    /// <summary>
    /// The value as JSON, parsed the first time a caller asks for it as JSON (most variations never are, so nothing is
    /// kept for them); thread-safe, and at worst parsed twice by racing first callers.
    /// </summary>
    public JsonVariationValue Json => Volatile.Read(ref _json) ?? CreateJson();

    private JsonVariationValue? _json;

    private JsonVariationValue CreateJson()
    {
        var json = new JsonVariationValue(Value);
        Volatile.Write(ref _json, json);
        return json;
    }
}

/// <summary>A variation's value as UTF-8 JSON, and as a <see cref="System.Text.Json.JsonElement"/> when it is valid JSON.</summary>
internal sealed class JsonVariationValue
{
    public JsonVariationValue(string value)
    {
        Utf8 = System.Text.Encoding.UTF8.GetBytes(value);
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(Utf8);
            Element = document.RootElement.Clone();
            IsValid = true;
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: a wrong type for a JSON caller, like any other failed conversion.
        }
    }

    /// <summary>The value's UTF-8 bytes: what a typed JSON read deserialises from, without a UTF-16 round trip.</summary>
    public byte[] Utf8 { get; }

    /// <summary>Whether the value is one valid JSON document.</summary>
    public bool IsValid { get; }

    /// <summary>The parsed value (a clone that owns its memory: safe to share across threads); default when not valid.</summary>
    public System.Text.Json.JsonElement Element { get; }
}

/// <summary>A flag ready for evaluation; a flag that uses segments keeps its <see cref="Source"/> to be recompiled when one changes.</summary>
internal sealed class CompiledFlag
{
    public required string Key { get; init; }

    public required long Version { get; init; }

    public required bool IsArchived { get; init; }

    public required bool IsEnabled { get; init; }

    /// <summary>The variation served when the flag is off; null when the id is dangling (malformed).</summary>
    public required CompiledVariation? DisabledVariation { get; init; }

    /// <summary>User key -> variation of the first target list holding it; a null value is a dangling variation id.</summary>
    public required TargetMap Targets { get; init; }

    public required CompiledRule[] Rules { get; init; }

    public required CompiledRollout Fallthrough { get; init; }

    public required bool ExptIncludeAllTargets { get; init; }

    public required CompiledVariation[] Variations { get; init; }

    public required string VariationType { get; init; }

    /// <summary>Ids of the segments the flag's rules reference (resolved or not).</summary>
    public required Guid[] SegmentIds { get; init; }

    /// <summary>Problems found while compiling (dangling ids, bad regex...); empty for a healthy flag.</summary>
    public required string[] Problems { get; init; }

    /// <summary>The wire entity, kept only when the flag uses segments (null otherwise, to save memory).</summary>
    public required FlagDto? Source { get; init; }

    /// <summary>
    /// The flag key's share of its rollouts' bucket hash, when a rollout needs the user's bucket and the key can take that
    /// path (null otherwise: the bucket is then hashed from the whole key).
    /// </summary>
    public Evaluation.Internal.BucketKeyPrefix? BucketPrefix { get; init; }

    /// <summary>The reason text served when the flag is off ("flag off", or "overridden locally" for a local override).</summary>
    public string OffReason { get; init; } = Evaluation.Internal.Reasons.FlagOff;

    /// <summary>The reason kind served when the flag is off (<see cref="EvaluationReasonKind.LocalOverride"/> for a local override).</summary>
    public EvaluationReasonKind OffKind { get; init; } = EvaluationReasonKind.Off;
}

/// <summary>A targeting rule.</summary>
internal sealed class CompiledRule
{
    public required string Name { get; init; }

    /// <summary>"match rule &lt;name&gt;", the official .NET reason text.</summary>
    public required string Reason { get; init; }

    public required CompiledCondition[] Conditions { get; init; }

    public required CompiledRollout Rollout { get; init; }

    /// <summary>The breaker of a rule that runs a regex (directly or through a segment); null for any other rule.</summary>
    public Evaluation.Internal.RegexBreaker? Breaker { get; init; }
}

/// <summary>A percentage rollout (a rule's or the fallthrough's).</summary>
internal sealed class CompiledRollout
{
    /// <summary>The user attribute whose value is hashed; null means the user key.</summary>
    public required string? DispatchKey { get; init; }

    public required bool IncludedInExpt { get; init; }

    /// <summary>The intervals, in order; setting them also decides <see cref="FixedSlice"/>.</summary>
    public required RolloutSlice[] Slices
    {
        get => _slices;
        init
        {
            _slices = value;
            FixedSlice = Decide(value);
            IsPartition = FixedSlice == NeedsBucket && Partitions(value);
        }
    }

    /// <summary>
    /// True when the slices split [0, 1] into consecutive intervals that all need the bucket (the shape every rollout
    /// the portal saves has): each valid, the first from 0, each from where the one before ends, the last reaching 1.
    /// The slice holding a bucket is then the number of slices before the last that end below it, which
    /// <see cref="Evaluation.Internal.Evaluator"/> counts without a branch; any other shape takes the walk.
    /// </summary>
    public bool IsPartition { get; private init; }

    /// <summary>
    /// What serves this rollout without the user's bucket, decided once when it is compiled: the index of the slice that
    /// holds every bucket (the usual 100 % rollout), <see cref="NeedsBucket"/> when the first slice that decides needs the
    /// hash, or <see cref="NoSlice"/> when no slice can hold a bucket (malformed).
    /// </summary>
    public int FixedSlice { get; private init; }

    /// <summary><see cref="FixedSlice"/> when the variation depends on the user's bucket.</summary>
    public const int NeedsBucket = -1;

    /// <summary><see cref="FixedSlice"/> when no slice holds any bucket.</summary>
    public const int NoSlice = -2;

    private readonly RolloutSlice[] _slices = [];

    // The order Evaluator.Dispatch walks: invalid slices are skipped, [0, ~1] holds everyone, [0, 0] no one.
    private static int Decide(RolloutSlice[] slices)
    {
        for (var i = 0; i < slices.Length; i++)
        {
            var slice = slices[i];
            if (!slice.IsValid)
            {
                continue;
            }

            if (Evaluation.Internal.Bucketing.RequiresHash(slice.Min, slice.Max))
            {
                return NeedsBucket;
            }

            if (Evaluation.Internal.Bucketing.IsInRolloutBucket(0, slice.Min, slice.Max))
            {
                return i;
            }
        }

        return NoSlice;
    }

    // With FixedSlice == NeedsBucket the first valid slice needs the hash; here it must also be the first slice, from 0.
    private static bool Partitions(RolloutSlice[] slices)
    {
        var start = 0.0;
        for (var i = 0; i < slices.Length; i++)
        {
            var slice = slices[i];
            if (!slice.IsValid || slice.Min != start || !(slice.Max >= slice.Min))
            {
                return false;
            }

            start = slice.Max;
        }

        return slices.Length > 0 && start >= 1;
    }
}

/// <summary>One variation's interval of a rollout (a struct: stored inline in the rollout's array).</summary>
internal readonly struct RolloutSlice
{
    /// <summary>The variation; null when the id is dangling (malformed).</summary>
    public required CompiledVariation? Variation { get; init; }

    public required double Min { get; init; }

    /// <summary>The upper bound; setting it also sets <see cref="MaxUnits"/>.</summary>
    public required double Max
    {
        get => _max;
        init
        {
            _max = value;
            MaxUnits = Evaluation.Internal.Bucketing.UnitsOf(value);
        }
    }

    /// <summary>
    /// <see cref="Max"/> in whole bucket units (<see cref="Evaluation.Internal.Bucketing.UnitsOf"/>), exact for a bound
    /// of at least 0 (every slice of a <see cref="CompiledRollout.IsPartition"/> rollout): what the partition's count
    /// compares with. It sits in the padding after <see cref="IsValid"/>, so a slice is no larger.
    /// </summary>
    public uint MaxUnits { get; private init; }

    private readonly double _max;

    /// <summary>False when the interval is not a [min, max] pair: it never matches.</summary>
    public required bool IsValid { get; init; }

    /// <summary>min(exptRollout / width, 1), or 0 when the slice can never be in the experiment.</summary>
    public required double ExperimentUpper { get; init; }
}

/// <summary>What a condition tests.</summary>
internal enum ConditionKind
{
    /// <summary>An unknown operator: never matches (as the official SDKs do).</summary>
    Never,
    LessThan,
    LessEqualThan,
    BiggerThan,
    BiggerEqualThan,
    Equal,
    NotEqual,
    Contains,
    NotContain,
    StartsWith,
    EndsWith,
    MatchRegex,
    NotMatchRegex,
    IsOneOf,
    NotOneOf,
    IsTrue,
    IsFalse,
    InSegment,
    NotInSegment,

    /// <summary>The condition's data is broken (bad regex, bad list, missing segment): evaluating it is an error.</summary>
    Broken,
}

/// <summary>A condition with its operand pre-parsed for its operator.</summary>
internal sealed class CompiledCondition
{
    private readonly string _property = string.Empty;

    public required ConditionKind Kind { get; init; }

    /// <summary>The user attribute tested; setting it also classifies it (<see cref="BuiltIn"/>).</summary>
    public required string Property
    {
        get => _property;
        init
        {
            _property = value;
            BuiltIn = FlagUser.BuiltInAttributeOf(value);
        }
    }

    /// <summary>Which built-in attribute <see cref="Property"/> names, decided once (no string switch per evaluation).</summary>
    public BuiltInAttribute BuiltIn { get; private init; }

    public string Operand { get; init; } = string.Empty;

    /// <summary>The operand as a number for the comparison operators; NaN when it is not one (never matches).</summary>
    public double Number { get; init; } = double.NaN;

    public Regex? Regex { get; init; }

    public StringSet? Set { get; init; }

    public CompiledSegment[]? Segments { get; init; }

    /// <summary>Why a <see cref="ConditionKind.Broken"/> condition is broken.</summary>
    public string? Problem { get; init; }
}

/// <summary>A segment ready for matching.</summary>
internal sealed class CompiledSegment
{
    public required Guid Id { get; init; }

    public required long Version { get; init; }

    public required bool IsArchived { get; init; }

    public required StringSet Included { get; init; }

    public required StringSet Excluded { get; init; }

    /// <summary>Each rule's conditions (all must match); a segment matches when any rule matches.</summary>
    public required CompiledCondition[][] Rules { get; init; }

    public required string[] Problems { get; init; }

    /// <summary>Whether a rule of the segment runs a regex (a flag rule using the segment then gets a breaker).</summary>
    public bool HasRegex { get; init; }
}
