using System.Globalization;
using Xunit;

namespace FeatureFlags.Tests;

/// <summary>The immutable user and its builder (protocol §3.4): validation, attributes and attribute lookup.</summary>
public sealed class FlagUserTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void Builder_BlankKey_ThrowsNamingKey(string? key)
    {
        var fromBuilder = Assert.ThrowsAny<ArgumentException>(() => FlagUser.Builder(key!));
        var fromCreate = Assert.ThrowsAny<ArgumentException>(() => FlagUser.Create(key!, "name"));

        Assert.Equal("key", fromBuilder.ParamName);
        Assert.Equal("key", fromCreate.ParamName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Custom_BlankName_ThrowsNamingName(string? name)
    {
        var builder = FlagUser.Builder("u");

        var ex = Assert.ThrowsAny<ArgumentException>(() => builder.Custom(name!, "value"));

        Assert.Equal("name", ex.ParamName);
    }

    [Fact]
    [Trait("Conformance", "EVAL-08")]
    public void Create_KeyAndName_SetsBoth()
    {
        var user = FlagUser.Create("user-42", "Ada");

        Assert.Equal(("user-42", "Ada"), (user.Key, user.Name));
        Assert.Null(user.Email);
        Assert.Null(user.Country);
        Assert.Empty(user.Custom);
    }

    [Fact]
    public void Build_BuiltInAttributes_AreSet()
    {
        var user = FlagUser.Builder("user-42").Name("Ada").Email("ada@example.com").Country("GB").Build();

        Assert.Equal(("user-42", "Ada", "ada@example.com", "GB"), (user.Key, user.Name, user.Email, user.Country));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Build_BlankBuiltIns_AreCleared(string? blank)
    {
        var user = FlagUser.Builder("u").Name("Ada").Email("a@b.c").Country("GB").Name(blank).Email(blank).Country(blank).Build();

        Assert.Equal(string.Empty, user.Name);
        Assert.Null(user.Email);
        Assert.Null(user.Country);
        Assert.False(user.TryGetAttribute(FlagUser.EmailAttribute, out _));
        Assert.False(user.TryGetAttribute(FlagUser.CountryAttribute, out _));
    }

    [Fact]
    public void Custom_SameNameTwice_LaterValueWins()
    {
        var user = FlagUser.Builder("u").Custom("plan", "free").Custom("plan", "premium").Build();

        Assert.Equal("premium", user.Custom["plan"]);
        Assert.Single(user.Custom);
    }

    [Fact]
    public void Custom_NullValue_RemovesAttribute()
    {
        var user = FlagUser.Builder("u").Custom("plan", "premium").Custom("age", "30").Custom("plan", null).Build();

        Assert.False(user.Custom.ContainsKey("plan"));
        Assert.False(user.TryGetAttribute("plan", out _));
        Assert.Equal("30", user.Custom["age"]);
    }

    [Fact]
    [Trait("Conformance", "EVAL-02")]
    public void Custom_EmptyValue_IsKept()
    {
        var user = FlagUser.Builder("u").Custom("plan", string.Empty).Build();

        Assert.True(user.TryGetAttribute("plan", out var value));
        Assert.Equal(string.Empty, value);
    }

    [Fact]
    public void Custom_Names_AreOrdinalCaseSensitive()
    {
        var user = FlagUser.Builder("u").Custom("Plan", "a").Custom("plan", "b").Build();

        Assert.Equal(2, user.Custom.Count);
        Assert.True(user.TryGetAttribute("Plan", out var upper));
        Assert.True(user.TryGetAttribute("plan", out var lower));
        Assert.Equal(("a", "b"), (upper, lower));
        Assert.False(user.TryGetAttribute("PLAN", out _));
    }

    [Fact]
    public void TryGetAttribute_BuiltIns_ReadProperties()
    {
        var user = FlagUser.Builder("user-42").Name("Ada").Email("ada@example.com").Country("GB").Build();

        Assert.True(user.TryGetAttribute("keyId", out var key));
        Assert.True(user.TryGetAttribute("name", out var name));
        Assert.True(user.TryGetAttribute("email", out var email));
        Assert.True(user.TryGetAttribute("country", out var country));
        Assert.Equal(("user-42", "Ada", "ada@example.com", "GB"), (key, name, email, country));
    }

    [Fact]
    [Trait("Conformance", "EVAL-08")]
    public void TryGetAttribute_BuiltInAndCustomWithSameName_BuiltInWins()
    {
        var user = FlagUser.Builder("user-42").Name("Ada").Email("ada@example.com").Country("GB")
            .Custom("keyId", "k").Custom("name", "n").Custom("email", "e").Custom("country", "c")
            .Build();

        Assert.True(user.TryGetAttribute(FlagUser.KeyAttribute, out var key));
        Assert.True(user.TryGetAttribute(FlagUser.NameAttribute, out var name));
        Assert.True(user.TryGetAttribute(FlagUser.EmailAttribute, out var email));
        Assert.True(user.TryGetAttribute(FlagUser.CountryAttribute, out var country));
        Assert.Equal(("user-42", "Ada", "ada@example.com", "GB"), (key, name, email, country));
    }

    [Fact]
    public void TryGetAttribute_UnsetNameWithCustomName_NeverReadsTheCustomAttribute()
    {
        var user = FlagUser.Builder("u").Custom("name", "custom-name").Build();

        Assert.False(user.TryGetAttribute(FlagUser.NameAttribute, out var name));
        Assert.Null(name);
        Assert.Equal("custom-name", user.Custom["name"]);
    }

    [Fact]
    public void TryGetAttribute_UnsetEmailOrCountry_FallsBackToCustom()
    {
        var user = FlagUser.Builder("u").Custom("email", "custom@example.com").Build();

        Assert.True(user.TryGetAttribute("email", out var email));
        Assert.Equal("custom@example.com", email);
        Assert.False(user.TryGetAttribute("country", out _));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("KeyId")]
    [InlineData("Name")]
    [InlineData("")]
    public void TryGetAttribute_Missing_ReturnsFalse(string attribute)
    {
        var user = FlagUser.Builder("u").Name("Ada").Custom("plan", "premium").Build();

        Assert.False(user.TryGetAttribute(attribute, out var value));
        Assert.Null(value);
    }

    [Fact]
    [Trait("Conformance", "STORE-05")]
    [Trait("Conformance", "EVT-04")]
    public void Build_BuilderChangedAfterBuild_DoesNotAffectBuiltUser()
    {
        var builder = FlagUser.Builder("u").Name("Ada").Email("a@b.c").Country("GB").Custom("plan", "free");
        var user = builder.Build();

        builder.Name("Grace").Email("g@h.i").Country("US").Custom("plan", "premium").Custom("extra", "x").Custom("age", null);
        var second = builder.Build();

        Assert.Equal(("Ada", "a@b.c", "GB"), (user.Name, user.Email, user.Country));
        Assert.Equal(new Dictionary<string, string> { ["plan"] = "free" }, user.Custom);
        Assert.Equal(("Grace", "premium", 2), (second.Name, second.Custom["plan"], second.Custom.Count));
    }

    [Fact]
    [Trait("Conformance", "STORE-05")]
    public void Custom_ExposedDictionary_CannotBeMutated()
    {
        var user = FlagUser.Builder("u").Custom("plan", "free").Build();

        var asDictionary = Assert.IsAssignableFrom<IDictionary<string, string>>(user.Custom);

        Assert.True(asDictionary.IsReadOnly);
        Assert.Throws<NotSupportedException>(() => asDictionary["plan"] = "premium");
        Assert.Equal("free", user.Custom["plan"]);
    }

    [Fact]
    public void ToString_ShowsKeyOnly()
    {
        var text = FlagUser.Builder("user-42").Email("secret@example.com").Build().ToString();

        Assert.Contains("user-42", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret@example.com", text, StringComparison.Ordinal);
    }
    [Fact]
    public void Builder_EveryStringAtItsLimit_IsAccepted()
    {
        var builder = FlagUser.Builder(new string('k', FlagUser.MaxKeyLength))
            .Name(new string('n', FlagUser.MaxValueLength))
            .Email(new string('e', FlagUser.MaxValueLength))
            .Country(new string('c', FlagUser.MaxValueLength));
        for (var i = 0; i < FlagUser.MaxCustomAttributes; i++)
        {
            builder.Custom(i.ToString(CultureInfo.InvariantCulture).PadLeft(FlagUser.MaxAttributeNameLength, 'a'), new string('v', FlagUser.MaxValueLength));
        }

        var user = builder.Build();

        Assert.Equal((256, 1024, 1024, 1024, 64), (user.Key.Length, user.Name.Length, user.Email!.Length, user.Country!.Length, user.Custom.Count));
        Assert.All(user.Custom, c => Assert.Equal((128, 1024), (c.Key.Length, c.Value.Length)));
    }

    public static TheoryData<string, Func<FlagUser.FlagUserBuilder, FlagUser.FlagUserBuilder>> OneOverTheLimit => new()
    {
        { "name", b => b.Name(new string('n', FlagUser.MaxValueLength + 1)) },
        { "email", b => b.Email(new string('e', FlagUser.MaxValueLength + 1)) },
        { "country", b => b.Country(new string('c', FlagUser.MaxValueLength + 1)) },
        { "name", b => b.Custom(new string('a', FlagUser.MaxAttributeNameLength + 1), "v") },
        { "value", b => b.Custom("plan", new string('v', FlagUser.MaxValueLength + 1)) },
    };

    [Theory]
    [MemberData(nameof(OneOverTheLimit))]
    public void Builder_AStringOneOverItsLimit_IsRefusedNamingTheParameterNotTheValue(string parameter, Func<FlagUser.FlagUserBuilder, FlagUser.FlagUserBuilder> set)
    {
        var ex = Assert.Throws<ArgumentException>(() => set(FlagUser.Builder("u")));

        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains("FlagUser.Max", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string(ex.Message.Contains("1025", StringComparison.Ordinal) ? 'v' : 'a', 200), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_KeyOneOverTheLimit_IsRefusedByBuilderAndCreate()
    {
        var key = new string('k', FlagUser.MaxKeyLength + 1);

        Assert.Equal("key", Assert.Throws<ArgumentException>(() => FlagUser.Builder(key)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => FlagUser.Create(key)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => FlagUser.Create("u", new string('n', FlagUser.MaxValueLength + 1))).ParamName);
    }

    [Fact]
    public void Custom_OneAttributeOverTheCount_IsRefused_ReplacingOrRemovingIsNot()
    {
        var builder = FlagUser.Builder("u");
        for (var i = 0; i < FlagUser.MaxCustomAttributes; i++)
        {
            builder.Custom("a" + i.ToString(CultureInfo.InvariantCulture), "v");
        }

        var ex = Assert.Throws<ArgumentException>(() => builder.Custom("one-more", "v"));
        builder.Custom("a0", "replaced").Custom("a1", null).Custom("one-more", "v");

        Assert.Contains("at most 64 custom attributes", ex.Message, StringComparison.Ordinal);
        Assert.Equal((64, "replaced"), (builder.Build().Custom.Count, builder.Build().Custom["a0"]));
    }

    [Fact]
    public void EstimatedBytes_GrowsWithTheStrings()
    {
        var small = FlagUser.Create("u");
        var large = FlagUser.Builder(new string('k', 256)).Custom("plan", new string('v', 1000)).Build();

        Assert.InRange(large.EstimatedBytes - small.EstimatedBytes, 2 * (255 + 1000 + 4), 2 * (255 + 1000 + 4) + 200);
    }
}
