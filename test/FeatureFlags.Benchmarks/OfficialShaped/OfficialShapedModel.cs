namespace FeatureFlags.Benchmarks.OfficialShaped;

// A peer written fresh for the comparison, shaped as the official FeatBit .NET SDK (1.2.11) models its data (the
// official SDK is not on the package feed here): mutable classes with collection interfaces, a Guid id, a DateTime
// updatedAt, read by reflection-based System.Text.Json with the web defaults. Only what it maps is mapped.

/// <summary>The <c>data</c> of a data-sync message, as the official SDK deserialises it.</summary>
public sealed class OfficialDataSet
{
    public string EventType { get; set; } = string.Empty;

    public OfficialFeatureFlag[] FeatureFlags { get; set; } = [];

    public OfficialSegment[] Segments { get; set; } = [];
}

/// <summary>A feature flag, as the official SDK maps it.</summary>
public sealed class OfficialFeatureFlag
{
    public Guid Id { get; set; }

    public string Key { get; set; } = string.Empty;

    public string VariationType { get; set; } = string.Empty;

    public ICollection<OfficialVariation> Variations { get; set; } = [];

    public ICollection<OfficialTargetUser> TargetUsers { get; set; } = [];

    public ICollection<OfficialTargetRule> Rules { get; set; } = [];

    public bool IsEnabled { get; set; }

    public string DisabledVariationId { get; set; } = string.Empty;

    public OfficialFallthrough Fallthrough { get; set; } = new();

    public bool ExptIncludeAllTargets { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>The store key the official SDK files a flag under.</summary>
    public string StoreKey => $"ff_{Id}";
}

public sealed class OfficialVariation
{
    public string Id { get; set; } = string.Empty;

    public string Value { get; set; } = string.Empty;
}

public sealed class OfficialTargetUser
{
    public ICollection<string> KeyIds { get; set; } = [];

    public string VariationId { get; set; } = string.Empty;
}

public sealed class OfficialTargetRule
{
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string? DispatchKey { get; set; }

    public bool IncludedInExpt { get; set; }

    public ICollection<OfficialCondition> Conditions { get; set; } = [];

    public ICollection<OfficialRolloutVariation> Variations { get; set; } = [];
}

public sealed class OfficialFallthrough
{
    public string? DispatchKey { get; set; }

    public bool IncludedInExpt { get; set; }

    public ICollection<OfficialRolloutVariation> Variations { get; set; } = [];
}

public sealed class OfficialRolloutVariation
{
    public string Id { get; set; } = string.Empty;

    public double[] Rollout { get; set; } = [];

    public double ExptRollout { get; set; }
}

public sealed class OfficialCondition
{
    public string Property { get; set; } = string.Empty;

    public string Op { get; set; } = string.Empty;

    public string Value { get; set; } = string.Empty;
}

/// <summary>A segment, as the official SDK maps it.</summary>
public sealed class OfficialSegment
{
    public Guid Id { get; set; }

    public ICollection<string> Included { get; set; } = [];

    public ICollection<string> Excluded { get; set; } = [];

    public ICollection<OfficialMatchRule> Rules { get; set; } = [];

    public DateTime UpdatedAt { get; set; }

    public string StoreKey => $"segment_{Id}";
}

public sealed class OfficialMatchRule
{
    public ICollection<OfficialCondition> Conditions { get; set; } = [];
}
