using System.Buffers;
using System.Text;
using System.Text.Json;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Store.Internal;

// The compiler's helpers: operator names, condition list values, the variation index of the flag being compiled.
internal sealed partial class FlagCompiler
{
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

    /// <summary>
    /// The variations of the flag being compiled, and the problems found so far (created on the first). One instance
    /// serves every flag of a compiler, <see cref="Reset"/> before each.
    /// </summary>
    private sealed class VariationIndex
    {
        private readonly List<CompiledVariation> _ordered = [];
        private Dictionary<string, CompiledVariation>? _byId;

        public List<string>? Problems;

        /// <summary>Empties the index for the next flag (the problems list was the previous flag's: a new one starts).</summary>
        public void Reset()
        {
            _ordered.Clear();
            _byId = null;
            Problems = null;
        }

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
