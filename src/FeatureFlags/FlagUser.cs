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

    private readonly FrozenDictionary<string, string> _custom;

    private FlagUser(string key, string name, string? email, string? country, FrozenDictionary<string, string> custom)
    {
        Key = key;
        Name = name;
        Email = email;
        Country = country;
        _custom = custom;
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

    /// <summary>Creates a user with only a key (and optionally a name).</summary>
    /// <param name="key">The user's unique key; must not be blank.</param>
    /// <param name="name">An optional display name.</param>
    /// <returns>The user.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is null, empty or white space.</exception>
    public static FlagUser Create(string key, string? name = null) => Builder(key).Name(name).Build();

    /// <summary>Starts building a user with the given key.</summary>
    /// <param name="key">The user's unique key; must not be blank.</param>
    /// <returns>A builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is null, empty or white space.</exception>
    public static FlagUserBuilder Builder(string key) => new(key);

    /// <summary>
    /// Reads the attribute a targeting rule names: <c>keyId</c>, <c>name</c>, <c>email</c>, <c>country</c> or a custom attribute.
    /// </summary>
    /// <param name="attribute">The attribute name (ordinal).</param>
    /// <param name="value">The value, when the user has it.</param>
    /// <returns><see langword="true"/> if the user has the attribute.</returns>
    public bool TryGetAttribute(string attribute, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        switch (attribute)
        {
            case KeyAttribute:
                value = Key;
                return true;
            case NameAttribute when Name.Length > 0:
                value = Name;
                return true;
            case EmailAttribute when Email is not null:
                value = Email;
                return true;
            case CountryAttribute when Country is not null:
                value = Country;
                return true;
            default:
                return _custom.TryGetValue(attribute, out value);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"FlagUser(Key={Key})";

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
            _key = key;
        }

        /// <summary>Sets the display name (null or blank clears it).</summary>
        /// <param name="name">The name.</param>
        /// <returns>This builder.</returns>
        public FlagUserBuilder Name(string? name)
        {
            _name = string.IsNullOrWhiteSpace(name) ? string.Empty : name;
            return this;
        }

        /// <summary>Sets the email (null or blank clears it).</summary>
        /// <param name="email">The email address.</param>
        /// <returns>This builder.</returns>
        public FlagUserBuilder Email(string? email)
        {
            _email = string.IsNullOrWhiteSpace(email) ? null : email;
            return this;
        }

        /// <summary>Sets the country (null or blank clears it).</summary>
        /// <param name="country">The country.</param>
        /// <returns>This builder.</returns>
        public FlagUserBuilder Country(string? country)
        {
            _country = string.IsNullOrWhiteSpace(country) ? null : country;
            return this;
        }

        /// <summary>Sets a custom attribute; a later value for the same name wins; a null value removes it.</summary>
        /// <param name="name">The attribute name; must not be blank.</param>
        /// <param name="value">The value.</param>
        /// <returns>This builder.</returns>
        /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
        public FlagUserBuilder Custom(string name, string? value)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            if (value is null)
            {
                _custom.Remove(name);
            }
            else
            {
                _custom[name] = value;
            }

            return this;
        }

        /// <summary>Builds the user.</summary>
        /// <returns>An immutable user.</returns>
        public FlagUser Build() => new(_key, _name, _email, _country, _custom.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
