using System.Globalization;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// One evaluation through the public client, as an application makes it, against a store of 100 flags built in code
/// (6 scenario flags and 94 fillers of mixed kinds). Nothing is cached between calls: each call reads the snapshot,
/// looks the flag up, evaluates and converts. Targets (2-core machine) are in docs/performance.md.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class EvaluationBenchmarks
{
    private const string OffFlagKey = "checkout-v2-off";
    private const string TargetedFlagKey = "beta-testers";
    private const string RolloutFlagKey = "new-search-5050";
    private const string SegmentFlagKey = "pricing-page-theme";
    private const string CountryFlagKey = "regional-shipping";
    private const string RegexFlagKey = "staff-preview";
    private const string SegmentId = "3f2c1a9e-8b7d-4c6e-9a51-0d2e4f6a8b10";
    private const int UserCount = 1000;

    private FeatureFlagClient _client = null!;
    private FeatureFlagClient _legacyClient = null!;
    private FlagUser[] _users = null!;
    private FlagUser _plainUser = null!;
    private FlagUser _targetedUser = null!;
    private FlagUser _premiumUser = null!;
    private FlagUser _countryUser = null!;
    private FlagUser _staffUser = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance);
        var (flags, segments) = BuildData();
        var applied = store.ApplyFull(flags, segments);
        if (applied.Invalid != 0 || store.FlagKeys.Count != 100)
        {
            throw new InvalidOperationException($"Benchmark data is broken: {applied}.");
        }

        _client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions()));

        // The same data compiled as before the regex hardening (backtracking engine, no breaker), for RegexRuleLegacy.
        var legacyOptions = new FeatureFlagsOptions { Evaluation = { RegexMatchTimeout = TimeSpan.FromMilliseconds(100) } };
        var legacyStore = new FlagStore(Options.Create(legacyOptions), NullLogger<FlagStore>.Instance, RegexPolicy.Legacy(legacyOptions.Evaluation.RegexMatchTimeout));
        legacyStore.ApplyFull(flags, segments);
        _legacyClient = new FeatureFlagClient(legacyStore, Options.Create(legacyOptions));

        _users = new FlagUser[UserCount];
        for (var i = 0; i < UserCount; i++)
        {
            _users[i] = FlagUser.Builder(string.Create(CultureInfo.InvariantCulture, $"user-{i:D5}"))
                .Name(string.Create(CultureInfo.InvariantCulture, $"User {i}"))
                .Country(i % 2 == 0 ? "GB" : "FR")
                .Build();
        }

        _plainUser = FlagUser.Builder("user-plain").Country("GB").Build();
        _targetedUser = FlagUser.Builder("tester-057").Build();
        _premiumUser = FlagUser.Builder("customer-8812").Custom("plan", "gold").Build();
        _countryUser = FlagUser.Builder("shopper-4411").Country("region-0737").Build();
        _staffUser = FlagUser.Builder("staff-0042").Country("GB").Email("jane.doe@example.com").Custom("plan", "gold").Build();

        // Each benchmark must measure the path it names, never an error or a fall-through by accident.
        Expect(_client.BoolVariationDetail(OffFlagKey, _plainUser, true), EvaluationReasonKind.Off);
        Expect(_client.BoolVariationDetail(TargetedFlagKey, _targetedUser), EvaluationReasonKind.TargetMatch);
        Expect(_client.StringVariationDetail(SegmentFlagKey, _premiumUser, "none"), EvaluationReasonKind.RuleMatch);
        Expect(_client.BoolVariationDetail(CountryFlagKey, _countryUser), EvaluationReasonKind.RuleMatch);
        Expect(_client.BoolVariationDetail(RegexFlagKey, _staffUser), EvaluationReasonKind.RuleMatch);
        Expect(_legacyClient.BoolVariationDetail(RegexFlagKey, _staffUser), EvaluationReasonKind.RuleMatch);
        var on = 0;
        foreach (var user in _users)
        {
            var detail = _client.BoolVariationDetail(RolloutFlagKey, user);
            Expect(detail, EvaluationReasonKind.Fallthrough);
            on += detail.Value ? 1 : 0;
        }

        if (on is < 400 or > 600)
        {
            throw new InvalidOperationException($"The 50/50 rollout served true to {on} of {UserCount} users.");
        }

        var all = _client.GetAllFlags(_plainUser);
        if (!all.IsReady || all.Flags.Count != 100 || all.Flags.Values.Any(d => d.Kind == EvaluationReasonKind.Error))
        {
            throw new InvalidOperationException("GetAllFlags did not evaluate 100 healthy flags.");
        }
    }

    [Benchmark]
    [BenchmarkCategory("OnOff")]
    public bool OffFlag() => _client.BoolVariation(OffFlagKey, _plainUser, true);

    [Benchmark]
    [BenchmarkCategory("Targeting")]
    public bool TargetedUser() => _client.BoolVariation(TargetedFlagKey, _targetedUser);

    [Benchmark]
    [BenchmarkCategory("Rollout")]
    public bool Rollout5050() => _client.BoolVariation(RolloutFlagKey, NextUser());

    /// <summary>
    /// The rollout through the remote (OFREP) path: the same evaluation plus the flag's type and OpenFeature reason, whose
    /// split comes from the one evaluation (compare with <see cref="Rollout5050"/>).
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("Rollout")]
    public RemoteEvaluation RemoteRollout5050() => _client.EvaluateRemote(RolloutFlagKey, NextUser());

    [Benchmark]
    [BenchmarkCategory("Rollout")]
    public EvaluationDetail<bool> BoolVariationDetail() => _client.BoolVariationDetail(RolloutFlagKey, NextUser());

    [Benchmark]
    [BenchmarkCategory("Rules")]
    public string StringFlagSegmentRule() => _client.StringVariation(SegmentFlagKey, _premiumUser, "none");

    [Benchmark]
    [BenchmarkCategory("Rules")]
    public bool IsOneOf1000() => _client.BoolVariation(CountryFlagKey, _countryUser);

    [Benchmark]
    [BenchmarkCategory("Rules")]
    public bool RegexRule() => _client.BoolVariation(RegexFlagKey, _staffUser);

    /// <summary><see cref="RegexRule"/> as before the regex hardening (backtracking engine, no breaker), to compare in one run.</summary>
    [Benchmark]
    [BenchmarkCategory("Rules")]
    public bool RegexRuleLegacy() => _legacyClient.BoolVariation(RegexFlagKey, _staffUser);

    [Benchmark]
    [BenchmarkCategory("AllFlags")]
    public AllFlagsState GetAllFlags100() => _client.GetAllFlags(_plainUser);

    /// <summary><see cref="GetAllFlags100"/> with the batched rollouts hashed one lane at a time (the multi-buffer MD5's gain, same run).</summary>
    [Benchmark]
    [BenchmarkCategory("AllFlags")]
    public AllFlagsState GetAllFlags100ScalarMd5() => _client.GetAllFlags(_client.Store.Current, _plainUser, Md5Kernel.Scalar);

    private FlagUser NextUser()
    {
        var i = _next;
        _next = i == UserCount - 1 ? 0 : i + 1;
        return _users[i];
    }

    private static void Expect<T>(EvaluationDetail<T> detail, EvaluationReasonKind kind)
    {
        if (detail.Kind != kind)
        {
            throw new InvalidOperationException($"{detail.FlagKey}: expected {kind} but got {detail.Kind} ({detail.Reason}).");
        }
    }

    /// <summary>
    /// The 6 scenario flags, 94 fillers (off, targeted, string rules, number rollouts, JSON segment rules) and 2 segments;
    /// with <paramref name="fillerKind"/> (0-4), 100 fillers of that one kind and no scenario flag (<see cref="AllFlagsByKindBenchmarks"/>).
    /// </summary>
    internal static (List<FlagDto> Flags, List<SegmentDto> Segments) BuildData(int? fillerKind = null)
    {
        var segments = new List<SegmentDto>
        {
            new()
            {
                Id = SegmentId,
                UpdatedAt = 1_700_000_000_000,
                Included = [.. Enumerable.Range(0, 50).Select(i => $"vip-{i:D3}")],
                Excluded = ["customer-0001"],
                Rules =
                [
                    new SegmentRuleDto
                    {
                        Name = "paying plans",
                        Conditions = [Condition("plan", "IsOneOf", """["premium","gold"]""")],
                    },
                ],
            },
        };

        var flags = fillerKind is not null ? [] : new List<FlagDto>
        {
            BoolFlag(OffFlagKey, enabled: false),
            BoolFlag(
                TargetedFlagKey,
                targets: [new TargetUserDto { KeyIds = [.. Enumerable.Range(0, 100).Select(i => $"tester-{i:D3}")], VariationId = "on" }],
                fallthrough: Rollout(("off", 0, 1))),
            BoolFlag(RolloutFlagKey, fallthrough: Rollout(("on", 0, 0.5), ("off", 0.5, 1))),
            new FlagDto
            {
                Key = SegmentFlagKey,
                VariationType = "string",
                UpdatedAt = 1_700_000_000_000,
                IsEnabled = true,
                DisabledVariationId = "classic",
                Variations = [new VariationDto { Id = "classic", Value = "classic" }, new VariationDto { Id = "premium", Value = "premium-dark" }],
                Rules =
                [
                    new RuleDto
                    {
                        Id = "r1",
                        Name = "paying customers",
                        Conditions = [Condition(FlagCompiler.InSegmentProperty, null, $"[\"{SegmentId}\"]")],
                        Variations = Rollout(("premium", 0, 1)).Variations,
                    },
                ],
                Fallthrough = Rollout(("classic", 0, 1)),
            },
            BoolFlag(
                CountryFlagKey,
                rules:
                [
                    new RuleDto
                    {
                        Id = "r1",
                        Name = "served regions",
                        Conditions =
                        [
                            Condition(
                                FlagUser.CountryAttribute,
                                "IsOneOf",
                                "[" + string.Join(',', Enumerable.Range(0, 1000).Select(i => $"\"region-{i:D4}\"")) + "]"),
                        ],
                        Variations = Rollout(("on", 0, 1)).Variations,
                    },
                ],
                fallthrough: Rollout(("off", 0, 1))),
            BoolFlag(
                RegexFlagKey,
                rules:
                [
                    new RuleDto
                    {
                        Id = "r1",
                        Name = "british staff on paid plans",
                        Conditions =
                        [
                            Condition(FlagUser.CountryAttribute, "Equal", "GB"),
                            Condition(FlagUser.EmailAttribute, "MatchRegex", @"^[a-z0-9._%+-]+@example\.com$"),
                            Condition("plan", "NotEqual", "free"),
                        ],
                        Variations = Rollout(("on", 0, 1)).Variations,
                    },
                ],
                fallthrough: Rollout(("off", 0, 1))),
        };

        for (var i = 0; flags.Count < 100; i++)
        {
            var key = $"filler-{i:D2}";
            flags.Add((fillerKind ?? i % 5) switch
            {
                0 => BoolFlag(key, enabled: false),
                1 => BoolFlag(
                    key,
                    targets: [new TargetUserDto { KeyIds = [.. Enumerable.Range(0, 10).Select(j => $"user-{j:D5}")], VariationId = "on" }],
                    fallthrough: Rollout(("off", 0, 1))),
                2 => new FlagDto
                {
                    Key = key,
                    VariationType = "string",
                    UpdatedAt = 1_700_000_000_000,
                    IsEnabled = true,
                    DisabledVariationId = "a",
                    Variations = [new VariationDto { Id = "a", Value = "blue" }, new VariationDto { Id = "b", Value = "green" }],
                    Rules =
                    [
                        new RuleDto
                        {
                            Name = "staff",
                            Conditions = [Condition(FlagUser.EmailAttribute, "EndsWith", "@example.com")],
                            Variations = Rollout(("b", 0, 1)).Variations,
                        },
                        new RuleDto
                        {
                            Name = "british",
                            Conditions = [Condition(FlagUser.CountryAttribute, "Equal", "GB")],
                            Variations = Rollout(("b", 0, 1)).Variations,
                        },
                    ],
                    Fallthrough = Rollout(("a", 0, 1)),
                },
                3 => new FlagDto
                {
                    Key = key,
                    VariationType = "number",
                    UpdatedAt = 1_700_000_000_000,
                    IsEnabled = true,
                    DisabledVariationId = "low",
                    Variations = [new VariationDto { Id = "low", Value = "10" }, new VariationDto { Id = "high", Value = "50" }],
                    Fallthrough = Rollout(("low", 0, 0.3), ("high", 0.3, 1)),
                },
                _ => new FlagDto
                {
                    Key = key,
                    VariationType = "json",
                    UpdatedAt = 1_700_000_000_000,
                    IsEnabled = true,
                    DisabledVariationId = "default",
                    Variations =
                    [
                        new VariationDto { Id = "default", Value = """{"limit":10,"mode":"basic"}""" },
                        new VariationDto { Id = "vip", Value = """{"limit":100,"mode":"full"}""" },
                    ],
                    Rules =
                    [
                        new RuleDto
                        {
                            Name = "segment",
                            Conditions = [Condition(FlagCompiler.InSegmentProperty, null, $"[\"{SegmentId}\"]")],
                            Variations = Rollout(("vip", 0, 1)).Variations,
                        },
                    ],
                    Fallthrough = Rollout(("default", 0, 1)),
                },
            });
        }

        return (flags, segments);
    }

    private static FlagDto BoolFlag(
        string key, bool enabled = true, List<TargetUserDto>? targets = null, List<RuleDto>? rules = null, FallthroughDto? fallthrough = null) => new()
        {
            Id = Guid.NewGuid().ToString(),
            Key = key,
            VariationType = "boolean",
            UpdatedAt = 1_700_000_000_000,
            IsEnabled = enabled,
            DisabledVariationId = "off",
            Variations = [new VariationDto { Id = "on", Value = "true" }, new VariationDto { Id = "off", Value = "false" }],
            TargetUsers = targets ?? [],
            Rules = rules ?? [],
            Fallthrough = fallthrough ?? Rollout(("on", 0, 1)),
        };

    private static FallthroughDto Rollout(params (string VariationId, double Min, double Max)[] slices) => new()
    {
        Variations = [.. slices.Select(s => new RolloutVariationDto { Id = s.VariationId, Rollout = [s.Min, s.Max] })],
    };

    private static ConditionDto Condition(string property, string? op, string value) => new() { Property = property, Op = op, Value = value };
}
