using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FeatureFlags.Testing.Internal;

/// <summary>
/// The mutable definition of one test segment, kept by <see cref="InMemoryFlags"/> under its lock and turned into the
/// FeatBit wire model (<see cref="WriteTo"/>). Tests name segments; the wire uses the GUID <see cref="IdOf"/> derives.
/// </summary>
internal sealed class SegmentDefinition
{
    private const string IdNamespace = "FeatureFlags.Testing.Segment:";

    public SegmentDefinition(string name)
    {
        Name = name;
        Id = IdOf(name);
    }

    public string Name { get; }

    public Guid Id { get; }

    /// <summary>Whether any builder method has defined the segment (a bare <c>Segment(name)</c> defines nothing).</summary>
    public bool IsDefined { get; set; }

    /// <summary>The version (<c>updatedAt</c>) of the last change; shared with the flags' versions.</summary>
    public long Version { get; set; }

    /// <summary>User keys in the segment, in the order first given.</summary>
    public List<string> Included { get; } = [];

    /// <summary>User keys kept out of the segment whatever its rules say, in the order first given.</summary>
    public List<string> Excluded { get; } = [];

    /// <summary>Each rule's conditions (all must match); a user matching any rule is in the segment.</summary>
    public List<IReadOnlyList<Condition>> Rules { get; } = [];

    /// <summary>Puts the users in <paramref name="add"/> (once each) and takes them out of <paramref name="remove"/>.</summary>
    public static void Move(IEnumerable<string> userKeys, List<string> add, List<string> remove)
    {
        foreach (var userKey in userKeys)
        {
            remove.Remove(userKey);
            if (!add.Contains(userKey))
            {
                add.Add(userKey);
            }
        }
    }

    /// <summary>
    /// The segment id for a name: a GUID (version 8, RFC 9562) hashed from the name, so it is the same in every
    /// <see cref="InMemoryFlags"/> and every run.
    /// </summary>
    public static Guid IdOf(string name)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(IdNamespace + name), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>A flag condition on segment membership: <c>"User is (not) in segment"</c> with a JSON array of ids.</summary>
    public static Condition Condition(bool isIn, IReadOnlyList<string> segmentNames)
        => new(
            isIn ? Internal.Condition.InSegmentProperty : Internal.Condition.NotInSegmentProperty,
            null,
            WireWriter.StringArray(segmentNames.Select(static name => IdOf(name).ToString("D"))));

    /// <summary>Writes the segment as FeatBit sends it.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("id", Id.ToString("D"));
        WireWriter.WriteStrings(writer, "included", Included);
        WireWriter.WriteStrings(writer, "excluded", Excluded);
        writer.WriteStartArray("rules");
        for (var i = 0; i < Rules.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("name", "rule " + (i + 1).ToString(CultureInfo.InvariantCulture));
            WireWriter.WriteConditions(writer, "conditions", Rules[i]);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteBoolean("isArchived", false);
        writer.WriteNumber("updatedAt", Version);
        writer.WriteEndObject();
    }

    /// <summary>Writes an archived tombstone: flags that still use the segment then evaluate to "malformed flag".</summary>
    public static void WriteTombstone(Utf8JsonWriter writer, string name, long version)
    {
        writer.WriteStartObject();
        writer.WriteString("id", IdOf(name).ToString("D"));
        writer.WriteStartArray("included");
        writer.WriteEndArray();
        writer.WriteStartArray("excluded");
        writer.WriteEndArray();
        writer.WriteStartArray("rules");
        writer.WriteEndArray();
        writer.WriteBoolean("isArchived", true);
        writer.WriteNumber("updatedAt", version);
        writer.WriteEndObject();
    }
}
