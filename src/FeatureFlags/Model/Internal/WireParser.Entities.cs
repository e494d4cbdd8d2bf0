using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FeatureFlags.Model.Internal;

// The entities of the wire model, one reader each. Strings that repeat across entities (variation ids and values,
// operators, property and rule names, dispatch keys, user keys) go through the pool; unique ones (flag ids and keys,
// rule ids) are decoded as they are.
internal sealed partial class WireParser
{
    private FlagDto? ReadFlag(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectObject(ref reader, "a flag");
        var flag = new FlagDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (!ReadFlagProperty(ref reader, name, flag))
            {
                reader.Skip();
            }
        }

        return flag;
    }

    /// <summary>
    /// One property of a flag, dispatched on the name's length first (a flag has a dozen known names and as many
    /// ignored ones: one length test instead of a chain of compares), then matched by <see cref="Is"/>.
    /// </summary>
    /// <returns><see langword="false"/> for a name the model does not map (the caller skips its value).</returns>
    private bool ReadFlagProperty(ref Utf8JsonReader reader, scoped ReadOnlySpan<byte> name, FlagDto flag)
    {
        switch (name.Length)
        {
            case 2 when Is(name, "id"u8):
                flag.Id = ReadString(ref reader);
                return true;
            case 3 when Is(name, "key"u8):
                flag.Key = ReadString(ref reader);
                return true;
            case 5 when Is(name, "rules"u8):
                flag.Rules = ReadList(ref reader, _rules, static (WireParser p, ref Utf8JsonReader r) => p.ReadRule(ref r));
                return true;
            case 9 when Is(name, "isEnabled"u8):
                flag.IsEnabled = ReadBool(ref reader);
                return true;
            case 9 when Is(name, "updatedAt"u8):
                flag.UpdatedAt = UnixMillisecondsConverter.ReadValue(ref reader);
                return true;
            case 10 when Is(name, "variations"u8):
                flag.Variations = ReadList(ref reader, _variations, static (WireParser p, ref Utf8JsonReader r) => p.ReadVariation(ref r));
                return true;
            case 10 when Is(name, "isArchived"u8):
                flag.IsArchived = ReadBool(ref reader);
                return true;
            case 11 when Is(name, "targetUsers"u8):
                flag.TargetUsers = ReadList(ref reader, _targets, static (WireParser p, ref Utf8JsonReader r) => p.ReadTargetUser(ref r));
                return true;
            case 11 when Is(name, "fallthrough"u8):
                flag.Fallthrough = ReadFallthrough(ref reader);
                return true;
            case 13 when Is(name, "variationType"u8):
                flag.VariationType = ReadPooledString(ref reader);
                return true;
            case 19 when Is(name, "disabledVariationId"u8):
                flag.DisabledVariationId = ReadPooledString(ref reader);
                return true;
            case 21 when Is(name, "exptIncludeAllTargets"u8):
                flag.ExptIncludeAllTargets = ReadBool(ref reader);
                return true;
            default:
                return false;
        }
    }

    private VariationDto ReadVariation(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a variation");
        var variation = new VariationDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "id"u8))
            {
                variation.Id = ReadPooledString(ref reader);
            }
            else if (Is(name, "value"u8))
            {
                variation.Value = ReadPooledString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return variation;
    }

    private TargetUserDto ReadTargetUser(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a target list");
        var target = new TargetUserDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "keyIds"u8))
            {
                target.KeyIds = ReadStringList(ref reader);
            }
            else if (Is(name, "variationId"u8))
            {
                target.VariationId = ReadPooledString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return target;
    }

    private RuleDto ReadRule(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a rule");
        var rule = new RuleDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "id"u8))
            {
                rule.Id = ReadString(ref reader);
            }
            else if (Is(name, "name"u8))
            {
                rule.Name = ReadPooledString(ref reader);
            }
            else if (Is(name, "dispatchKey"u8))
            {
                rule.DispatchKey = ReadPooledString(ref reader);
            }
            else if (Is(name, "includedInExpt"u8))
            {
                rule.IncludedInExpt = ReadBool(ref reader);
            }
            else if (Is(name, "conditions"u8))
            {
                rule.Conditions = ReadConditions(ref reader);
            }
            else if (Is(name, "variations"u8))
            {
                rule.Variations = ReadRollouts(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return rule;
    }

    private FallthroughDto? ReadFallthrough(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectObject(ref reader, "the fallthrough");
        var fallthrough = new FallthroughDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "dispatchKey"u8))
            {
                fallthrough.DispatchKey = ReadPooledString(ref reader);
            }
            else if (Is(name, "includedInExpt"u8))
            {
                fallthrough.IncludedInExpt = ReadBool(ref reader);
            }
            else if (Is(name, "variations"u8))
            {
                fallthrough.Variations = ReadRollouts(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return fallthrough;
    }

    private List<ConditionDto>? ReadConditions(ref Utf8JsonReader reader)
        => ReadList(ref reader, _conditions, static (WireParser p, ref Utf8JsonReader r) => p.ReadCondition(ref r));

    private List<RolloutVariationDto>? ReadRollouts(ref Utf8JsonReader reader)
        => ReadList(ref reader, _rollouts, static (WireParser p, ref Utf8JsonReader r) => p.ReadRollout(ref r));

    private ConditionDto ReadCondition(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a condition");
        string? property = null, op = null, value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "property"u8))
            {
                property = ReadPooledString(ref reader);
            }
            else if (Is(name, "op"u8))
            {
                op = ReadPooledString(ref reader);
            }
            else if (Is(name, "value"u8))
            {
                value = ReadPooledString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return SharedCondition(property, op, value);
    }

    /// <summary>
    /// Conditions repeat across flags and rules (the same attribute, operator and value): one entity per distinct
    /// condition of the message, never mutated. Its strings come from the pool, so the same texts are the same
    /// instances and are matched by reference (a long value, not pooled, is simply not shared). At most
    /// <see cref="MaxSharedConditions"/> are remembered.
    /// </summary>
    private ConditionDto SharedCondition(string? property, string? op, string? value)
    {
        var key = (property, op, value);
        _sharedConditions ??= new(SameInstances.Instance);
        if (_sharedConditions.TryGetValue(key, out var shared))
        {
            return shared;
        }

        var condition = new ConditionDto { Property = property, Op = op, Value = value };
        if (_sharedConditions.Count < MaxSharedConditions)
        {
            _sharedConditions[key] = condition;
        }

        return condition;
    }

    private const int MaxSharedConditions = 4096;

    /// <summary>Three strings compared by reference (pooled strings: equal texts are one instance).</summary>
    private sealed class SameInstances : IEqualityComparer<(string?, string?, string?)>
    {
        public static readonly SameInstances Instance = new();

        public bool Equals((string?, string?, string?) x, (string?, string?, string?) y)
            => ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2) && ReferenceEquals(x.Item3, y.Item3);

        public int GetHashCode((string?, string?, string?) obj)
            => HashCode.Combine(RuntimeHelpers.GetHashCode(obj.Item1), RuntimeHelpers.GetHashCode(obj.Item2), RuntimeHelpers.GetHashCode(obj.Item3));
    }

    private RolloutVariationDto ReadRollout(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a rollout variation");
        var rollout = new RolloutVariationDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "id"u8))
            {
                rollout.Id = ReadPooledString(ref reader);
            }
            else if (Is(name, "rollout"u8))
            {
                rollout.Rollout = ReadDoubleArray(ref reader);
            }
            else if (Is(name, "exptRollout"u8))
            {
                rollout.ExptRollout = ReadDouble(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return rollout;
    }

    private SegmentDto? ReadSegment(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectObject(ref reader, "a segment");
        var segment = new SegmentDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "id"u8))
            {
                segment.Id = ReadString(ref reader);
            }
            else if (Is(name, "included"u8))
            {
                segment.Included = ReadStringList(ref reader);
            }
            else if (Is(name, "excluded"u8))
            {
                segment.Excluded = ReadStringList(ref reader);
            }
            else if (Is(name, "rules"u8))
            {
                segment.Rules = ReadList(ref reader, _segmentRules, static (WireParser p, ref Utf8JsonReader r) => p.ReadSegmentRule(ref r));
            }
            else if (Is(name, "isArchived"u8))
            {
                segment.IsArchived = ReadBool(ref reader);
            }
            else if (Is(name, "updatedAt"u8))
            {
                segment.UpdatedAt = UnixMillisecondsConverter.ReadValue(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return segment;
    }

    private SegmentRuleDto ReadSegmentRule(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a segment rule");
        var rule = new SegmentRuleDto();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = NameOf(ref reader);
            reader.Read();
            if (Is(name, "name"u8))
            {
                rule.Name = ReadPooledString(ref reader);
            }
            else if (Is(name, "conditions"u8))
            {
                rule.Conditions = ReadConditions(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return rule;
    }
}
