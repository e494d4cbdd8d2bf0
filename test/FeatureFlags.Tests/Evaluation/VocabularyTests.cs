using System.Reflection;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The two evaluation surfaces speak one vocabulary: every evaluation member of the scoped <see cref="IFeatureFlags"/>
/// exists on <see cref="IFeatureFlagClient"/> with the same name, the same parameters plus the user, and the same
/// defaults; and the reflection-based JSON extensions serve both.
/// </summary>
public sealed class VocabularyTests
{
    private static readonly FlagUser User = FlagUser.Create("u");

    [Fact]
    public void EveryScopedMember_HasTheClientCounterpart_WithTheUserAndTheSameDefaults()
    {
        var client = typeof(IFeatureFlagClient).GetMethods();
        var scoped = typeof(IFeatureFlags).GetMethods().Where(m => !m.IsSpecialName && m.Name != nameof(IFeatureFlags.SetUser)).ToList();

        Assert.NotEmpty(scoped);
        foreach (var method in scoped)
        {
            var twins = client.Where(c => c.Name == method.Name && Shape(c, withUser: true) == Shape(method, withUser: false)).ToList();
            Assert.True(twins.Count == 1, $"IFeatureFlagClient has no {method.Name}({Shape(method, withUser: false)}) with a user");
        }

        // And the other way round: the client has nothing the scoped flags lack, but the members without a scope's meaning
        // (TrackPageView: UseFeatureFlags() records page views for the request's user with the client).
        var scopedNames = scoped.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var clientOnly = client.Where(m => !m.IsSpecialName).Select(m => m.Name).Where(n => !scopedNames.Contains(n)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["FlushAsync", "Identify", "TrackPageView"], clientOnly.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void IsEnabled_OnBothSurfaces_IsBoolVariationWithFalse()
    {
        var store = TestFlags.Store(
            TestFlags.Flag("on").Variation("t", "true").Fallthrough("t").Build(),
            TestFlags.Flag("text").Variation("s", "hello").Fallthrough("s").Build());
        var client = TestFlags.Client(store);
        var flags = new ScopedFeatureFlags(client);
        flags.SetUser(User);

        Assert.Equal((true, true), (client.IsEnabled("on", User), flags.IsEnabled("on")));
        Assert.Equal((false, false), (client.IsEnabled("missing", User), flags.IsEnabled("missing")));
        Assert.Equal((false, false), (client.IsEnabled("text", User), flags.IsEnabled("text")));
        Assert.False(client.IsEnabled(null!, null!));
    }

    [Fact]
    public void ReflectionJsonExtensions_ServeBothSurfaces_AndKeepTheReasons()
    {
        var (client, flags) = JsonFlag();
        var fallback = new JsonCode(0, "default");

        Assert.Equal(new JsonCode(7, "r"), client.JsonVariation("j", User, fallback));
        Assert.Equal(new JsonCode(7, "r"), flags.JsonVariation("j", fallback));
        Assert.Equal((fallback, EvaluationReasonKind.FlagNotFound), (flags.JsonVariationDetail("missing", fallback).Value, flags.JsonVariationDetail("missing", fallback).Kind));
        Assert.Equal(EvaluationReasonKind.FlagNotFound, client.JsonVariationDetail("missing", User, fallback).Kind);
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public void JsonVariation_NullTypeInfo_OnBothSurfaces_ReturnsTheDefaultWithoutThrowing()
    {
        var (client, flags) = JsonFlag();
        var fallback = new JsonCode(0, "default");

        var viaClient = client.JsonVariationDetail("j", User, fallback, null!);
        var viaScope = flags.JsonVariationDetail("j", fallback, null!);

        Assert.Equal((fallback, EvaluationReasonKind.Error), (viaClient.Value, viaClient.Kind));
        Assert.Equal((fallback, EvaluationReasonKind.Error), (viaScope.Value, viaScope.Kind));
    }

    /// <summary>A client and a scope for <see cref="User"/> over one JSON flag <c>j</c> = <c>{"Code":7,"Reason":"r"}</c>.</summary>
    private static (FeatureFlagClient Client, ScopedFeatureFlags Flags) JsonFlag()
    {
        var client = TestFlags.Client(TestFlags.Store(TestFlags.Flag("j").Variation("v", """{"Code":7,"Reason":"r"}""").Fallthrough("v").Build()));
        var flags = new ScopedFeatureFlags(client);
        flags.SetUser(User);
        return (client, flags);
    }

    private static string Shape(MethodInfo method, bool withUser)
    {
        var parameters = method.GetParameters().Where(p => !(withUser && p.ParameterType == typeof(FlagUser))).ToList();
        return string.Join(", ", parameters.Select(p => $"{p.ParameterType.Name} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : string.Empty)}"))
            + " -> " + method.ReturnType.Name + "`" + method.GetGenericArguments().Length;
    }
}
