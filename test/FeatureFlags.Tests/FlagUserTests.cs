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
}
