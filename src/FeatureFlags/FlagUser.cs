using System.Collections.Frozen;

namespace FeatureFlags;

/// <summary>
/// The user (end user, device, tenant...) a flag is evaluated for: a required key, optional built-in
/// attributes and custom string attributes that targeting rules can test.
/// </summary>
/// <remarks>
/// Immutable and thread-safe; build one with <see cref="Builder(string)"/>. The property names that targeting
/// rules use are <c>keyId</c> (the key), <c>name</c>, <c>email</c>, <c>country</c> and any custom attribute name.
/// Lookups are ordinal (case-sensitive), as on the FeatBit server.
/// <para>
/// Lengths are bounded, so that a user built from request data cannot pin unbounded memory in the event buffer:
/// the key at most <see cref="MaxKeyLength"/> characters, the name, email, country and each custom value at most
/// <see cref="MaxValueLength"/>, each custom attribute name at most <see cref="MaxAttributeNameLength"/>, and at most
/// <see cref="MaxCustomAttributes"/> custom attributes (lengths are <see cref="string.Length"/>, UTF-16 code units).
/// A value over a limit is refused, never truncated (a truncated key could collide with another user's): the builder
/// method that receives it throws <see cref="ArgumentException"/>. A <see cref="FlagUser"/> over the limits therefore
/// cannot exist, and evaluation and events always see the same user.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var user = FlagUser.Builder("user-42").Name("Ada").Country("GB").Custom("plan", "premium").Build();
/// </code>
/// </example>
public sealed class FlagUser
{
    /// <summary>The rule property that reads the user's key.</summary>
    public const string KeyAttribute = "keyId";

    /// <summary>The rule property that reads the user's name.</summary>
    public const string NameAttribute = "name";

    /// <summary>The rule property that reads the user's email.</summary>
    public const string EmailAttribute = "email";

    /// <summary>The rule property that reads the user's country.</summary>
    public const string CountryAttribute = "country";

    /// <summary>The most characters a user key may have (256).</summary>
    public const int MaxKeyLength = 256;

    /// <summary>The most characters the name, email, country or a custom attribute value may have (1,024).</summary>
    public const int MaxValueLength = 1024;

    /// <summary>The most characters a custom attribute name may have (128).</summary>
    public const int MaxAttributeNameLength = 128;

    /// <summary>The most custom attributes a user may have (64).</summary>
    public const int MaxCustomAttributes = 64;

    // The estimate's fixed parts: an object's header and fields, a string's header, a dictionary entry's overhead.
    private const int ObjectOverheadBytes = 64;
    private const int StringOverheadBytes = 24;
    private const int EntryOverheadBytes = 32;

    private readonly FrozenDictionary<string, string> _custom;

    // What a rule reading "email" or "country" sees: the built-in value, else a custom attribute of that name, else null;
    // resolved once here, so a rule on a user without one does not look it up in the custom attributes every evaluation.
    private readonly string? _emailAttribute;
    private readonly string? _countryAttribute;

    private FlagUser(string key, string name, string? email, string? country, FrozenDictionary<string, string> custom)
    {
        Key = key;
        Name = name;
        Email = email;
        Country = country;
        _custom = custom;
        _emailAttribute = email ?? custom.GetValueOrDefault(EmailAttribute);
        _countryAttribute = country ?? custom.GetValueOrDefault(CountryAttribute);
        var bytes = ObjectOverheadBytes + SizeOf(key) + SizeOf(name) + SizeOf(email) + SizeOf(country);
        foreach (var (attribute, value) in custom)
        {
            bytes += EntryOverheadBytes + SizeOf(attribute) + SizeOf(value);
        }

        EstimatedBytes = bytes;
    }

    /// <summary>The unique key of the user (FeatBit's <c>keyId</c>). Never blank.</summary>
    public string Key { get; }

    /// <summary>The display name; empty when not set.</summary>
    public string Name { get; }

    /// <summary>The email address, or <see langword="null"/> when not set.</summary>
    public string? Email { get; }

    /// <summary>The country, or <see langword="null"/> when not set.</summary>
    public string? Country { get; }

    /// <summary>Custom attributes by name (ordinal).</summary>
    public IReadOnlyDictionary<string, string> Custom => _custom;

    /// <summary>
    /// An estimate of the memory the user holds (its strings at two bytes a character, plus fixed overheads), computed
    /// once when it is built: the event buffer counts it for each event that references the user.
    /// </summary>
    internal int EstimatedBytes { get; }

    /// <summary>Creates a user with only a key (and optionally a name).</summary>
    /// <param name="key">The user's unique key; must not be blank; at most <see cref="MaxKeyLength"/> characters.</param>
    /// <param name="name">An optional display name; at most <see cref="MaxValueLength"/> characters.</param>
    /// <returns>The user.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="key"/> is null, empty, white space or too long, or <paramref name="name"/> is too long.
    /// </exception>
    public static FlagUser Create(string key, string? name = null) => Builder(key).Name(name).Build();

    /// <summary>Starts building a user with the given key.</summary>
    /// <param name="key">The user's unique key; must not be blank; at most <see cref="MaxKeyLength"/> characters.</param>
    /// <returns>A builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is null, empty, white space or longer than <see cref="MaxKeyLength"/>.</exception>
    public static FlagUserBuilder Builder(string key) => new(key);

    /// <summary>
    /// Reads the attribute a targeting rule names: <c>keyId</c>, <c>name</c>, <c>email</c>, <c>country</c> or a custom attribute.
    /// </summary>
    /// <remarks>
    /// <c>name</c> always reads the built-in <see cref="Name"/>, as the official FeatBit .NET SDK does: when the name is not
    /// set the user does not have the attribute, even if it has a custom attribute called <c>name</c>.
    /// </remarks>
    /// <param name="attribute">The attribute name (ordinal).</param>
    /// <param name="value">The value, when the user has it.</param>
    /// <returns><see langword="true"/> if the user has the attribute.</returns>
    public bool TryGetAttribute(string attribute, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        => TryGetAttribute(BuiltInAttributeOf(attribute), attribute, out value);

    /// <summary>Which built-in attribute <paramref name="attribute"/> names, if any (compiled conditions keep it).</summary>
    internal static BuiltInAttribute BuiltInAttributeOf(string attribute) => attribute switch
    {
        KeyAttribute => BuiltInAttribute.Key,
        NameAttribute => BuiltInAttribute.Name,
        EmailAttribute => BuiltInAttribute.Email,
        CountryAttribute => BuiltInAttribute.Country,
        _ => BuiltInAttribute.None,
    };

    /// <summary>
    /// <see cref="TryGetAttribute(string, out string?)"/> with the attribute already classified (<paramref name="builtIn"/>
    /// is <see cref="BuiltInAttributeOf"/> of <paramref name="attribute"/>): no string comparison per call.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal bool TryGetAttribute(BuiltInAttribute builtIn, string attribute, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        switch (builtIn)
        {
            case BuiltInAttribute.Key:
                value = Key;
                return true;
            case BuiltInAttribute.Name:
                // Always the built-in name, as in the official SDK: a custom attribute called "name" is never read.
                value = Name.Length > 0 ? Name : null;
                return value is not null;
            case BuiltInAttribute.Email:
                // The built-in email, else a custom attribute "email" (resolved when the user was built).
                value = _emailAttribute;
                return value is not null;
            case BuiltInAttribute.Country:
                value = _countryAttribute;
                return value is not null;
            default:
                return _custom.TryGetValue(attribute, out value);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"FlagUser(Key={Key})";

    private static int SizeOf(string? value) => value is null ? 0 : StringOverheadBytes + (2 * value.Length);

    private static void ThrowIfTooLong(string value, int max, string limit, string what, string paramName)
    {
        if (value.Length > max)
        {
            // The message names the length, never the value (it may be personal data, or megabytes long).
            throw new ArgumentException($"The {what} has {value.Length} characters; a FlagUser allows at most {max} (FlagUser.{limit}).", paramName);
        }
    }

    /// <summary>Builds an immutable <see cref="FlagUser"/>.</summary>
    public sealed class FlagUserBuilder
    {
        private readonly string _key;
        private readonly Dictionary<string, string> _custom = new(StringComparer.Ordinal);
        private string _name = string.Empty;
        private string? _email;
        private string? _country;

        internal FlagUserBuilder(string key)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(key);
            ThrowIfTooLong(key, MaxKeyLength, nameof(MaxKeyLength), "user key", nameof(key));
            _key = key;
        }

        /// <summary>Sets the display name (null or blank clears it).</summary>
        /// <param name="name">The name.</param>
        /// <returns>This builder.</returns>
        /// <exception cref="ArgumentException"><paramref name="name"/> is longer than <see cref="MaxValueLength"/>.</exception>
        public FlagUserBuilder Name(string? name)
        {
            if (name is not null)
            {
                ThrowIfTooLong(name, MaxValueLength, nameof(MaxValueLength), "user name", nameof(name));
            }

            _name = string.IsNullOrWhiteSpace(name) ? string.Empty : name;
            return this;
        }

        /// <summary>Sets the email (null or blank clears it).</summary>
        /// <param name="email">The email address.</param>
        /// <returns>This builder.</returns>
        /// <exception cref="ArgumentException"><paramref name="email"/> is longer than <see cref="MaxValueLength"/>.</exception>
        public FlagUserBuilder Email(string? email)
        {
            if (email is not null)
            {
                ThrowIfTooLong(email, MaxValueLength, nameof(MaxValueLength), "user email", nameof(email));
            }

            _email = string.IsNullOrWhiteSpace(email) ? null : email;
            return this;
        }

        /// <summary>Sets the country (null or blank clears it).</summary>
        /// <param name="country">The country.</param>
        /// <returns>This builder.</returns>
        /// <exception cref="ArgumentException"><paramref name="country"/> is longer than <see cref="MaxValueLength"/>.</exception>
        public FlagUserBuilder Country(string? country)
        {
            if (country is not null)
            {
                ThrowIfTooLong(country, MaxValueLength, nameof(MaxValueLength), "user country", nameof(country));
            }

            _country = string.IsNullOrWhiteSpace(country) ? null : country;
            return this;
        }

        /// <summary>Sets a custom attribute; a later value for the same name wins; a null value removes it.</summary>
        /// <param name="name">The attribute name; must not be blank; at most <see cref="MaxAttributeNameLength"/> characters.</param>
        /// <param name="value">The value; at most <see cref="MaxValueLength"/> characters.</param>
        /// <returns>This builder.</returns>
        /// <exception cref="ArgumentException">
        /// <paramref name="name"/> is null, empty, white space or too long; <paramref name="value"/> is too long; or the
        /// user already has <see cref="MaxCustomAttributes"/> other custom attributes.
        /// </exception>
        public FlagUserBuilder Custom(string name, string? value)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            ThrowIfTooLong(name, MaxAttributeNameLength, nameof(MaxAttributeNameLength), "custom attribute name", nameof(name));
            if (value is null)
            {
                _custom.Remove(name);
            }
            else
            {
                ThrowIfTooLong(value, MaxValueLength, nameof(MaxValueLength), "value of custom attribute '" + name + "'", nameof(value));
                if (_custom.Count >= MaxCustomAttributes && !_custom.ContainsKey(name))
                {
                    throw new ArgumentException($"A FlagUser allows at most {MaxCustomAttributes} custom attributes (see FlagUser.{nameof(MaxCustomAttributes)}).", nameof(name));
                }

                _custom[name] = value;
            }

            return this;
        }

        /// <summary>Builds the user.</summary>
        /// <returns>An immutable user.</returns>
        public FlagUser Build() => new(_key, _name, _email, _country, _custom.ToFrozenDictionary(StringComparer.Ordinal));
    }
}

/// <summary>The attributes <see cref="FlagUser"/> holds as properties; <see cref="None"/> for a custom attribute.</summary>
internal enum BuiltInAttribute : byte
{
    None,
    Key,
    Name,
    Email,
    Country,
}
