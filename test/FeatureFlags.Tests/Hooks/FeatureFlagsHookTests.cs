using System.Collections.Concurrent;
using System.Text.Json;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Hooks;
using FeatureFlags.Hooks.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Hooks;

/// <summary>
/// Hooks around the client's evaluations and <c>Track</c> (issue 20, item 1): order, data from before to after, what the
/// stages see, isolation of a failing hook, and no cost without hooks.
/// </summary>
public sealed class FeatureFlagsHookTests
{
    private static readonly FlagUser User = FlagUser.Create("user-1");

    [Fact]
    public void Evaluation_ThreeHooks_BeforeInRegistrationOrderAfterInReverse()
    {
        var log = new ConcurrentQueue<string>();
        var client = Client([new RecordingHook("a", log), new RecordingHook("b", log), new RecordingHook("c", log)]);

        client.BoolVariation("flag", User);

        Assert.Equal(["a.before flag", "b.before flag", "c.before flag", "c.after flag", "b.after flag", "a.after flag"], log);
    }

    [Fact]
    public void Evaluation_DataFromBefore_ReachesTheSameHooksAfter()
    {
        var a = new RecordingHook("a") { Number = 1 };
        var b = new RecordingHook("b") { Number = 2 };
        var client = Client([a, b]);

        client.StringVariation("flag", User, "x");

        Assert.Equal(new EvaluationSeriesData("a-data", 1), a.LastAfter!.Value.Data);
        Assert.Equal("a-data", a.LastAfter!.Value.Data.State);
        Assert.Equal(2, b.LastAfter!.Value.Data.Number);
        Assert.Equal("b-data", b.LastAfter!.Value.Data.State);
    }

    [Fact]
    public void TypedVariations_StagesSeeKeyUserDefaultTypeAndResult()
    {
        var hook = new RecordingHook("h");
        var client = Client([hook], Flag("bool", "true"), Flag("text", "hello"), Flag("count", "7"), Flag("ratio", "0.5"));

        Assert.True(client.BoolVariation("bool", User));
        Assert.Equal(("bool", User, (object?)false, FlagValueType.Bool, (object?)true, "v", EvaluationReasonKind.Fallthrough), Seen(hook));
        Assert.Equal("hello", client.StringVariation("text", User, "dflt"));
        Assert.Equal(("text", User, (object?)"dflt", FlagValueType.String, (object?)"hello", "v", EvaluationReasonKind.Fallthrough), Seen(hook));
        Assert.Equal(7, client.IntVariation("count", User, -1));
        Assert.Equal(("count", User, (object?)(-1), FlagValueType.Int, (object?)7, "v", EvaluationReasonKind.Fallthrough), Seen(hook));
        Assert.Equal(0.5, client.DoubleVariation("ratio", User, 9));
        Assert.Equal(("ratio", User, (object?)9d, FlagValueType.Double, (object?)0.5, "v", EvaluationReasonKind.Fallthrough), Seen(hook));
        Assert.True(client.IsEnabled("bool", User));
        Assert.Equal(FlagValueType.Bool, hook.LastAfter!.Value.ValueType);
        Assert.Null(hook.LastAfter!.Value.Client);
    }

    [Fact]
    public void DetailVariations_StagesSeeTheDetailTheCallerGets()
    {
        var hook = new RecordingHook("h");
        var client = Client([hook], Flag("text", "hello"));

        var found = client.StringVariationDetail("text", User, "dflt");
        Assert.Equal((found.Value, found.VariationId, found.Kind, found.Reason), After(hook));

        var wrongType = client.IntVariationDetail("text", User, 3);
        Assert.Equal(EvaluationReasonKind.WrongType, wrongType.Kind);
        Assert.Equal((wrongType.Value, wrongType.VariationId, wrongType.Kind, wrongType.Reason), After(hook));

        var missing = client.BoolVariationDetail("missing", User, true);
        Assert.Equal(((object?)true, string.Empty, EvaluationReasonKind.FlagNotFound, missing.Reason), After(hook));

        var noUser = client.DoubleVariationDetail("text", null!, 1.5);
        Assert.Equal(EvaluationReasonKind.Error, noUser.Kind);
        Assert.Null(hook.LastAfter!.Value.User);
        Assert.Equal((object?)1.5, hook.LastAfter!.Value.Value);
    }

    [Fact]
    public void Evaluation_ClientNotReady_HooksStillRunWithTheOutcome()
    {
        var hook = new RecordingHook("h");
        var client = new FeatureFlagClient(Fixtures.NewStore(), Options.Create(new FeatureFlagsOptions()), hooks: new HookRunner([hook]));

        client.BoolVariation("any", User, true);

        Assert.Equal(EvaluationReasonKind.ClientNotReady, hook.LastAfter!.Value.Kind);
        Assert.Equal((object?)true, hook.LastAfter!.Value.Value);
    }

    [Fact]
    public void JsonVariations_StagesSeeTheTypedValueAndTypeJson()
    {
        var hook = new RecordingHook("h");
        var client = Client([hook], Flag("j", "{\"code\":200,\"reason\":\"ok\"}"));

        var typed = client.JsonVariationDetail("j", User, new JsonCode(-1, "default"), TestJsonContext.Default.JsonCode);
        Assert.Equal(new JsonCode(200, "ok"), typed.Value);
        Assert.Equal(("j", FlagValueType.Json, (object?)new JsonCode(-1, "default"), (object?)new JsonCode(200, "ok"), EvaluationReasonKind.Fallthrough),
            (hook.LastAfter!.Value.FlagKey, hook.LastAfter!.Value.ValueType, hook.LastAfter!.Value.DefaultValue, hook.LastAfter!.Value.Value, hook.LastAfter!.Value.Kind));

        var element = client.JsonVariation("j", User, default, TestJsonContext.Default.JsonElement);
        Assert.Equal(200, element.GetProperty("code").GetInt32());
        Assert.Equal(200, ((JsonElement)hook.LastAfter!.Value.Value!).GetProperty("code").GetInt32());

        var noTypeInfo = client.JsonVariationDetail<JsonCode>("j", User, new JsonCode(0, "d"), null!);
        Assert.Equal(EvaluationReasonKind.Error, noTypeInfo.Kind);
        Assert.Equal(EvaluationReasonKind.Error, hook.LastAfter!.Value.Kind);
        Assert.Equal(6, hook.Log.Count);
    }

    [Fact]
    public void ThrowingHook_ResultUnchanged_OtherHooksRun_LoggedOncePerHook()
    {
        var logger = new FakeLogger<HookRunner>();
        var log = new ConcurrentQueue<string>();
        var before = new RecordingHook("before", log);
        var thrower = new ThrowingHook();
        var after = new RecordingHook("after", log);
        var runner = new HookRunner([before, thrower, after], logger);
        var client = new FeatureFlagClient(TestFlags.Store(Flag("text", "hello")), Options.Create(new FeatureFlagsOptions()), hooks: runner);

        for (var i = 0; i < 3; i++)
        {
            var detail = client.StringVariationDetail("text", User, "dflt");
            Assert.Equal(("hello", "v", EvaluationReasonKind.Fallthrough), (detail.Value, detail.VariationId, detail.Kind));
        }

        client.Track(User, "metric");

        Assert.Equal(7, thrower.Calls);
        Assert.Equal(7, runner.Failures);
        Assert.Equal(3, log.Count(l => l == "before.after text"));
        Assert.Equal(3, log.Count(l => l == "after.after text"));
        Assert.Contains("before.track metric", log);
        Assert.Contains("after.track metric", log);
        var failure = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 1401);
        Assert.Equal("before failed", failure.Exception!.Message);
        Assert.Contains("'ThrowingHook'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("BeforeEvaluation", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowingHook_EachFailingHookIsLoggedOnce()
    {
        var logger = new FakeLogger<HookRunner>();
        var client = new FeatureFlagClient(TestFlags.Store(), Options.Create(new FeatureFlagsOptions()), hooks: new HookRunner([new ThrowingHook(), new ThrowingHook()], logger));

        client.BoolVariation("x", User);
        client.BoolVariation("x", User);

        Assert.Equal(2, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 1401));
    }

    [Fact]
    public void ThrowingBefore_AfterStillRunsWithEmptyData()
    {
        var hook = new BeforeThrows();
        var client = Client([hook]);

        client.BoolVariation("x", User);

        Assert.True(hook.AfterRan);
        Assert.True(hook.AfterData.IsEmpty);
    }

    [Fact]
    public void Track_RunsAfterTrackWithNameUserAndValue_InReverseOrder()
    {
        var log = new ConcurrentQueue<string>();
        var a = new RecordingHook("a", log);
        var b = new RecordingHook("b", log);
        var client = Client([a, b]);

        client.Track(User, "checkout", 42.5);

        Assert.Equal(["b.track checkout", "a.track checkout"], log);
        Assert.Equal(("checkout", User, 42.5, (string?)null), (a.LastTrack!.Value.EventName, a.LastTrack!.Value.User, a.LastTrack!.Value.NumericValue, a.LastTrack!.Value.ClientName));
    }

    [Fact]
    public void Track_WithoutUserOrEventName_RunsNoHook()
    {
        var hook = new RecordingHook("h");
        var client = Client([hook]);

        client.Track(null!, "checkout");
        client.Track(User, " ");
        client.Track(User, null!);

        Assert.Empty(hook.Log);
    }

    [Fact]
    public void ScopedFlags_EvaluateAndTrack_RunTheClientsHooks()
    {
        var hook = new RecordingHook("h");
        var client = Client([hook], Flag("bool", "true"));
        var scoped = new ScopedFeatureFlags(client);
        scoped.SetUser(User);

        Assert.True(scoped.BoolVariation("bool"));
        scoped.JsonVariationDetail("bool", default, TestJsonContext.Default.JsonElement);
        scoped.Track("metric");

        Assert.Equal(["h.before bool", "h.after bool", "h.before bool", "h.after bool", "h.track metric"], hook.Log);
        Assert.Same(User, hook.LastAfter!.Value.User);
    }

    [Fact]
    public void GetAllFlagsAndTrackerEvaluations_RunNoHook()
    {
        var hook = new RecordingHook("h");
        var client = Client([hook], Flag("bool", "true"));

        client.GetAllFlags(User);
        client.Evaluate<string, StringConverter>(client.Store.Current, "bool", User, string.Empty, record: false);

        Assert.Empty(hook.Log);
    }

    [Fact]
    public void HookName_ThrowsOrBlank_LogsTheTypeName()
    {
        var logger = new FakeLogger<HookRunner>();
        var client = new FeatureFlagClient(TestFlags.Store(), Options.Create(new FeatureFlagsOptions()), hooks: new HookRunner([new BadName()], logger));

        client.BoolVariation("x", User);

        Assert.Contains("'BadName'", Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 1401).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoHooks_ClientHoldsNoRunner()
    {
        var client = new FeatureFlagClient(TestFlags.Store(), Options.Create(new FeatureFlagsOptions()), hooks: new HookRunner([]));

        Assert.Null(client.Hooks);
    }

    [Fact]
    public void NoHooks_EvaluationsAllocateNothing()
    {
        var client = new FeatureFlagClient(
            TestFlags.Store(Flag("bool", "true"), Flag("count", "7"), Flag("j", "{\"a\":1}")), Options.Create(new FeatureFlagsOptions()), hooks: new HookRunner([]));

        Assert.Equal(0, AllocatedBy(client));
    }

    [Fact]
    public void OneNoOpHook_EvaluationsAllocateNothing()
    {
        var client = Client([new NoOpHook()], Flag("bool", "true"), Flag("count", "7"), Flag("j", "{\"a\":1}"));

        Assert.Equal(0, AllocatedBy(client));
    }

    [Fact]
    public void EightHooksKeepTheirDataOnTheStack_MoreAllocateOneArrayPerEvaluation()
    {
        var eight = Client([.. Enumerable.Range(0, HookRunner.InlineCapacity).Select(_ => new NoOpHook())], Flag("bool", "true"), Flag("count", "7"), Flag("j", "{\"a\":1}"));
        var nine = Client([.. Enumerable.Range(0, HookRunner.InlineCapacity + 1).Select(_ => new NoOpHook())], Flag("bool", "true"), Flag("count", "7"), Flag("j", "{\"a\":1}"));

        Assert.Equal(0, AllocatedBy(eight));
        var allocated = AllocatedBy(nine);
        Assert.InRange(allocated, 1, 4 * 1_000 * 256);
    }

    /// <summary>Bytes allocated by 1,000 rounds of bool, int-detail, string and JSON-element evaluations after a warm-up.</summary>
    private static long AllocatedBy(FeatureFlagClient client)
    {
        var sum = 0;
        for (var i = 0; i < 100; i++)
        {
            sum += Evaluate(client);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            sum += Evaluate(client);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1_100 * 10, sum);
        return allocated;

        // 1 + 7 + 1 + 1 = 10 when every evaluation returns the flag's value (no assertion inside: asserting allocates).
        static int Evaluate(FeatureFlagClient client)
            => (client.BoolVariation("bool", User) ? 1 : 0)
                + client.IntVariationDetail("count", User).Value
                + client.StringVariation("count", User, "0").Length
                + client.JsonVariation("j", User, default, TestJsonContext.Default.JsonElement).GetProperty("a").GetInt32();
    }

    private static FeatureFlagClient Client(FeatureFlagsHook[] hooks, params FlagDto[] flags)
        => new(TestFlags.Store(flags), Options.Create(new FeatureFlagsOptions()), hooks: new HookRunner(hooks));

    private static FlagDto Flag(string key, string value) => TestFlags.Flag(key).Variation("v", value).Fallthrough("v").Build();

    private static (string, FlagUser?, object?, FlagValueType, object?, string, EvaluationReasonKind) Seen(RecordingHook hook)
    {
        var a = hook.LastAfter!.Value;
        return (a.FlagKey, a.User, a.DefaultValue, a.ValueType, a.Value, a.VariationId, a.Kind);
    }

    private static (object?, string, EvaluationReasonKind, string) After(RecordingHook hook)
    {
        var a = hook.LastAfter!.Value;
        return (a.Value, a.VariationId, a.Kind, a.Reason);
    }

    private sealed class BeforeThrows : FeatureFlagsHook
    {
        public bool AfterRan { get; private set; }

        public EvaluationSeriesData AfterData { get; private set; } = new("not run");

        public override EvaluationSeriesData BeforeEvaluation<T>(in EvaluationSeriesContext<T> context) => throw new InvalidOperationException("no");

        public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
        {
            AfterRan = true;
            AfterData = data;
        }
    }

    private sealed class BadName : FeatureFlagsHook
    {
        public override string Name => throw new InvalidOperationException("no name");

        public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
            => throw new InvalidOperationException("after");
    }
}
