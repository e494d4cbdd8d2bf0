using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FeatureFlags.Testing;

/// <summary>The kind of a <see cref="FlagValue"/>, which is also the FeatBit variation type of the flag that serves it.</summary>
internal enum FlagValueKind
{
    /// <summary>No value (<c>default(FlagValue)</c>); never accepted by a flag.</summary>
    None,

    /// <summary>A boolean flag value (<c>true</c> / <c>false</c>).</summary>
    Boolean,

    /// <summary>A string flag value.</summary>
    String,

    /// <summary>A number flag value (integers and doubles alike).</summary>
    Number,

    /// <summary>A JSON object or array.</summary>
    Json,
}

/// <summary>
/// A value a test flag serves: a <see cref="bool"/>, <see cref="string"/>, <see cref="int"/>, <see cref="long"/> or
/// <see cref="double"/> converts to it implicitly; JSON comes from <see cref="Json(string)"/> or
/// <see cref="Json{T}(T, JsonTypeInfo{T})"/>.
/// </summary>
/// <remarks>
/// All the values of one flag are of one type (a FeatBit flag has one variation type): giving a string
/// to a boolean flag throws <see cref="ArgumentException"/>. The value travels as FeatBit sends it, as text
/// (<c>"true"</c>, <c>"42"</c>, <c>"{\"a\":1}"</c>), and the SDK converts it exactly as it converts server data.
/// </remarks>
/// <example>
/// <code>
/// flags.Flag("checkout-ui").ValueForAll("v1").ForUser("alice", "v2");
/// flags.Flag("max-cart-items").ValueForAll(10);
/// flags.Flag("banner").ValueForAll(FlagValue.Json("""{"text":"Spring sale","color":"green"}"""));
/// </code>
/// </example>
public readonly struct FlagValue : IEquatable<FlagValue>
{
    private readonly string? _text;

    private FlagValue(FlagValueKind kind, string text)
    {
        Kind = kind;
        _text = text;
    }

    /// <summary>Gets the kind of value, which is the variation type of the flag that serves it.</summary>
    internal FlagValueKind Kind { get; }

    /// <summary>Gets the value as FeatBit sends it: <c>true</c>, <c>blue</c>, <c>42</c>, <c>{"a":1}</c>.</summary>
    public string Text => _text ?? string.Empty;

    /// <summary>A boolean value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The flag value.</returns>
    public static FlagValue FromBoolean(bool value) => new(FlagValueKind.Boolean, value ? "true" : "false");

    /// <summary>A string value.</summary>
    /// <param name="value">The value; not null.</param>
    /// <returns>The flag value.</returns>
    public static FlagValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(FlagValueKind.String, value);
    }

    /// <summary>A number value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The flag value.</returns>
    public static FlagValue FromInt64(long value) => new(FlagValueKind.Number, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A number value.</summary>
    /// <param name="value">The value; must be finite.</param>
    /// <returns>The flag value.</returns>
    public static FlagValue FromDouble(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A flag value must be a finite number.");
        }

        return new(FlagValueKind.Number, value.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>A JSON value: an object or an array, given as JSON text.</summary>
    /// <param name="json">JSON text whose root is an object or an array.</param>
    /// <returns>The flag value.</returns>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not JSON, or its root is not an object or array.</exception>
    public static FlagValue Json(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                throw new ArgumentException($"A JSON flag value must be an object or an array, not {document.RootElement.ValueKind}.", nameof(json));
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Not valid JSON: {ex.Message}", nameof(json), ex);
        }

        return new(FlagValueKind.Json, json);
    }

    /// <summary>A JSON value serialised from <paramref name="value"/> (trimming- and NativeAOT-safe).</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value; it must serialise to an object or an array.</param>
    /// <param name="jsonTypeInfo">Its serialisation metadata, e.g. <c>MyJsonContext.Default.Banner</c>.</param>
    /// <returns>The flag value.</returns>
    public static FlagValue Json<T>(T value, JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        return Json(JsonSerializer.Serialize(value, jsonTypeInfo));
    }

    /// <summary>Converts a boolean.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator FlagValue(bool value) => FromBoolean(value);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The value; not null.</param>
    public static implicit operator FlagValue(string value) => FromString(value);

    /// <summary>Converts an integer.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator FlagValue(int value) => FromInt64(value);

    /// <summary>Converts an integer.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator FlagValue(long value) => FromInt64(value);

    /// <summary>Converts a double.</summary>
    /// <param name="value">The value; must be finite.</param>
    public static implicit operator FlagValue(double value) => FromDouble(value);

    /// <summary>Compares two values by kind and text.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(FlagValue left, FlagValue right) => left.Equals(right);

    /// <summary>Compares two values by kind and text.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(FlagValue left, FlagValue right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(FlagValue other) => Kind == other.Kind && string.Equals(Text, other.Text, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FlagValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode(Text));

    /// <summary>The value as FeatBit sends it.</summary>
    /// <returns><see cref="Text"/>.</returns>
    public override string ToString() => Text;
}
