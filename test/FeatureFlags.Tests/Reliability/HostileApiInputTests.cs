using System.Text.Json;
using System.Text.Json.Nodes;
using FeatureFlags.Events.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Null, empty, white-space, unicode (emoji, RTL overrides, combining marks, lone surrogates, NUL) and 100 KB strings as
/// flag keys, user keys, attribute names and values, and event names, through every public entry point (issue 9,
/// part 3): no exception escapes an evaluation, the caller's default comes back with a reason, events stay valid JSON
/// and every event is accounted for. The <see cref="FlagUser"/> builder throws <see cref="ArgumentException"/> only
/// where its documentation says (a blank user key or attribute name).
/// </summary>
public sealed class HostileApiInputTests : IAsyncLifetime
{
    private const string Hit = "hit";
    private const string Miss = "miss";

    private static readonly string[] Blank = ["", " ", "\t\r\n"];

    private static readonly string[] Hostile =
    [
        "🚀🔥👩‍👩‍👧‍👦",
        "\u202Eevil\u202C",
        "שלום-مرحبا",
        "e\u0301\u0301\u0301\u0301",
        "\uD800",
        "x\uDC00x",
        "a\0b",
        "'; DROP TABLE flags; --",
        "{\"json\":1}",
        // As long as every FlagUser limit allows (it is also a key, an attribute name and an event name); longer user
        // data is refused by the builder (FlagUserTests, EventBufferMemoryTests), longer flag keys are tested below.
        new string('k', FlagUser.MaxAttributeNameLength),
    ];

    private readonly FakeLogCollector _logs = new();
    private FakeEventServer _events = null!;
    private ServiceProvider _services = null!;
    private IFeatureFlagClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _events = await FakeEventServer.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(_logs)));
        services.AddFeatureFlags(o =>
        {
            o.EnvSecret = FakeFeatBitServer.DefaultSecret;
            o.Streaming.Uri = new Uri("ws://127.0.0.1:1");
            o.Events.Uri = _events.BaseUri;
            o.StartWaitTime = TimeSpan.Zero;
        });
        _services = services.BuildServiceProvider();
        var flags = Hostile.Select(key => TestFlags.Flag(key).HitMiss().Fallthrough(TestFlags.HitId).Build()).ToList();
        flags.Add(TestFlags.Flag("split").HitMiss().Fallthrough(null, false, TestFlags.Slice(TestFlags.HitId, 0, 0.5), TestFlags.Slice(TestFlags.MissId, 0.5, 1)).Build());
        flags.AddRange(Hostile.Select((name, i) => TestFlags.Flag("attr-" + i).HitMiss()
            .Rule("r", TestFlags.HitId, TestFlags.Condition(name, "Equal", name))
            .Rule("regex", TestFlags.HitId, TestFlags.Condition(name, "MatchRegex", "^" + System.Text.RegularExpressions.Regex.Escape(name)))
            .Fallthrough(TestFlags.MissId).Build()));
        _services.GetRequiredService<FlagStore>().ApplyFull(flags, []);
        _client = _services.GetRequiredService<IFeatureFlagClient>();
        await _services.GetRequiredService<EventProcessor>().StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<EventProcessor>().StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        await _events.DisposeAsync();
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public void Variation_NullBlankOrUnknownKeys_ReturnTheDefaultWithAnErrorReason()
    {
        var user = FlagUser.Create("u");
        string?[] keys = [null, .. Blank, "missing-\uD800", new string('m', 100 * 1024)];
        foreach (var key in keys)
        {
            foreach (var detail in AllDetails(_client, key!, user))
            {
                Assert.True(detail.IsDefault, $"{detail.Method}({Describe(key)}) served a variation");
                Assert.Equal(EvaluationReasonKind.FlagNotFound, detail.Kind);
                Assert.Equal(key is null ? "flag key not specified" : "flag not found", detail.Reason);
            }
        }
    }

    [Fact]
    public void Variation_HostileButExistingKeys_ServeTheFlag()
    {
        var user = FlagUser.Create("u");
        foreach (var key in Hostile)
        {
            Assert.Equal(Hit, _client.StringVariation(key, user, "d"));
            var detail = _client.StringVariationDetail(key, user, "d");
            Assert.Equal((Hit, EvaluationReasonKind.Fallthrough), (detail.Value, detail.Kind));
            Assert.Equal(key, detail.FlagKey);
            Assert.Equal(Hit, _client.GetAllFlags(user).GetValue(key));
        }
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public void Variation_NullUser_ReturnsTheDefaultWithUserNotSpecified()
    {
        foreach (var detail in AllDetails(_client, Hostile[0], null!))
        {
            Assert.True(detail.IsDefault, detail.Method);
            Assert.Equal((EvaluationReasonKind.Error, "user not specified"), (detail.Kind, detail.Reason));
        }

        var all = _client.GetAllFlags(null!);
        Assert.False(all.IsReady);
        Assert.Empty(all.Flags);
    }

    [Fact]
    public void Variation_HostileUserKeysAttributeNamesAndValues_EvaluateDeterministically()
    {
        foreach (var (text, i) in Hostile.Select((t, i) => (t, i)))
        {
            var user = FlagUser.Builder(text).Name(text).Email(text).Country(text).Custom(text, text).Build();

            // Bucketing hashes the key (a lone surrogate included): the same user always lands in the same slice.
            var split = _client.StringVariationDetail("split", user, "d");
            Assert.Contains(split.Value, new[] { Hit, Miss });
            Assert.Equal(split.Value, _client.StringVariation("split", user, "d"));

            // A rule on the hostile attribute name matches the hostile value, by equality and by an escaped regex.
            Assert.Equal(Hit, _client.StringVariation("attr-" + i, user, "d"));
            Assert.Equal(Miss, _client.StringVariation("attr-" + i, FlagUser.Create("other"), "d"));
            Assert.Equal(Hostile.Length * 2 + 1, _client.GetAllFlags(user).Flags.Count);
            Assert.All(AllDetails(_client, text, user), d => Assert.NotEqual(EvaluationReasonKind.Error, d.Kind));
        }
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public void Builder_ThrowsArgumentExceptionOnlyWhereDocumented()
    {
        Assert.Throws<ArgumentNullException>(() => FlagUser.Builder(null!));
        Assert.Throws<ArgumentNullException>(() => FlagUser.Create(null!));
        foreach (var blank in Blank)
        {
            Assert.Throws<ArgumentException>(() => FlagUser.Builder(blank));
            Assert.Throws<ArgumentException>(() => FlagUser.Create(blank));
            Assert.Throws<ArgumentException>(() => FlagUser.Builder("u").Custom(blank, "v"));
        }

        Assert.Throws<ArgumentNullException>(() => FlagUser.Builder("u").Custom(null!, "v"));
        Assert.Throws<ArgumentException>(() => FlagUser.Builder(new string('k', 100 * 1024)));
        Assert.Throws<ArgumentException>(() => FlagUser.Builder("u").Custom("n", new string('v', 100 * 1024)));

        // Everything else within the length limits is accepted as it is: optional values may be null or blank (they are then unset).
        var user = FlagUser.Builder("u").Name(null).Email(" ").Country("").Custom("gone", null).Custom("blank", "").Build();
        Assert.Equal((string.Empty, null, null), (user.Name, user.Email, user.Country));
        Assert.Equal(string.Empty, user.Custom["blank"]);
        Assert.False(user.Custom.ContainsKey("gone"));
        foreach (var text in Hostile)
        {
            var hostile = FlagUser.Builder(text).Custom(text, text).Build();
            Assert.Equal(text, hostile.Key);
            Assert.True(hostile.TryGetAttribute(text, out var value));
            Assert.Equal(text, value);
        }
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public async Task ScopedFeatureFlags_NoUserOrHostileInput_NeverThrows()
    {
        await using var scope = _services.CreateAsyncScope();
        var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();

        // No user yet: every call returns the caller's default with "user not specified".
        Assert.False(flags.IsEnabled(Hostile[0]));
        Assert.Equal("d", flags.StringVariation(Hostile[0], "d"));
        Assert.Equal("user not specified", flags.BoolVariationDetail(Hostile[0]).Reason);
        Assert.False(flags.GetAllFlags().IsReady);
        flags.Track(Hostile[0]);
        Assert.Throws<ArgumentNullException>(() => flags.SetUser(null!));
        var fallback = JsonDocument.Parse("\"d\"").RootElement;

        foreach (var text in Hostile)
        {
            flags.SetUser(FlagUser.Builder(text).Custom(text, text).Build());
            foreach (var key in new string?[] { null, "", " ", text })
            {
                var exists = key == text;
                Assert.Equal(exists ? Hit : "d", flags.StringVariation(key!, "d"));
                Assert.Equal(exists ? Hit : "d", flags.StringVariationDetail(key!, "d").Value);
                Assert.False(flags.BoolVariation(key!));
                Assert.Equal(7, flags.IntVariation(key!, 7));
                Assert.Equal(7.5, flags.DoubleVariation(key!, 7.5));
                Assert.Equal(exists ? EvaluationReasonKind.WrongType : EvaluationReasonKind.FlagNotFound, flags.IntVariationDetail(key!, 7).Kind);
                var json = flags.JsonVariationDetail(key!, fallback, ReliabilityJsonContext.Default.JsonElement);
                Assert.Equal((true, exists ? EvaluationReasonKind.WrongType : EvaluationReasonKind.FlagNotFound), (json.IsDefaultValue, json.Kind));
                Assert.Equal("d", flags.JsonVariation(key!, "d", ReliabilityJsonContext.Default.String));
                Assert.Equal(exists, flags.GetAllFlags().Flags.ContainsKey(key ?? string.Empty));
                flags.Track(key!, double.NaN);
                flags.Track(key!);
            }
        }
    }

    [Fact]
    [Trait("Conformance", "DLV-05")]
    public async Task TrackAndIdentify_HostileInput_NeverThrow_AndEveryEventIsSentOrCounted()
    {
        var processor = _services.GetRequiredService<EventProcessor>();
        var produced = 0;
        foreach (var text in Hostile)
        {
            var user = FlagUser.Builder(text).Name(text).Email(text).Country(text).Custom(text, text).Build();
            _client.Track(user, text, 1);
            _client.Track(user, text, double.MaxValue);
            _client.Identify(user);
            _ = _client.StringVariation(text, user, "d"); // an evaluation event with the hostile flag key and user
            produced += 4;
        }

        foreach (var bad in new[] { double.NaN, double.PositiveInfinity })
        {
            _client.Track(FlagUser.Create("u"), "metric", bad);
            produced++;
        }

        string?[] names = [null, .. Blank];
        foreach (var blank in names)
        {
            _client.Track(FlagUser.Create("u"), blank!);
            produced++;
        }

        _client.Track(null!, "metric");
        _client.Identify(null!);
        produced += 2;

        await _client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, processor.Pending);
        Assert.Equal(produced, processor.Sent + processor.Dropped + processor.Failed + processor.Invalid);
        Assert.Equal(8, processor.Invalid);
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3003);
        foreach (var request in _events.Requests)
        {
            Assert.NotNull(JsonNode.Parse(request.Body)); // every body the SDK sent is JSON
        }

        Assert.Equal(processor.Sent, _events.AllEvents.Count);
    }

    private static string Describe(string? key) => key is null ? "null" : key.Length > 20 ? $"{key.Length} chars" : JsonSerializer.Serialize(key, ReliabilityJsonContext.Default.String);

    /// <summary>Every typed *Variation and *VariationDetail (and the JSON ones) for <paramref name="key"/>.</summary>
    private static IEnumerable<(string Method, bool IsDefault, EvaluationReasonKind Kind, string Reason)> AllDetails(IFeatureFlagClient client, string key, FlagUser user)
    {
        var fallback = JsonDocument.Parse("\"d\"").RootElement;
        var json = client.JsonVariationDetail(key, user, fallback, ReliabilityJsonContext.Default.JsonElement);
        Assert.Equal(json.IsDefaultValue ? "d" : json.Value.ToString(), client.JsonVariation(key, user, fallback, ReliabilityJsonContext.Default.JsonElement).ToString());
        var b = client.BoolVariationDetail(key, user, true);
        Assert.Equal(b.Value, client.BoolVariation(key, user, true));
        var s = client.StringVariationDetail(key, user, "d");
        Assert.Equal(s.Value, client.StringVariation(key, user, "d"));
        var i = client.IntVariationDetail(key, user, 7);
        Assert.Equal(i.Value, client.IntVariation(key, user, 7));
        var d = client.DoubleVariationDetail(key, user, 7.5);
        Assert.Equal(d.Value, client.DoubleVariation(key, user, 7.5));
        return
        [
            ("StringVariationDetail", s.IsDefaultValue && s.Value == "d", s.Kind, s.Reason),
            ("JsonVariationDetail", json.IsDefaultValue, json.Kind, json.Reason),
            ("BoolVariationDetail", b.IsDefaultValue && b.Value, b.Kind == EvaluationReasonKind.WrongType ? EvaluationReasonKind.Fallthrough : b.Kind, b.Reason),
            ("IntVariationDetail", i.IsDefaultValue && i.Value == 7, i.Kind == EvaluationReasonKind.WrongType ? EvaluationReasonKind.Fallthrough : i.Kind, i.Reason),
            ("DoubleVariationDetail", d.IsDefaultValue && d.Value == 7.5, d.Kind == EvaluationReasonKind.WrongType ? EvaluationReasonKind.Fallthrough : d.Kind, d.Reason),
        ];
    }
}
