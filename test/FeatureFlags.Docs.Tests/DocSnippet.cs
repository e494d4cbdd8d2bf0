namespace FeatureFlags.Docs.Tests;

/// <summary>One <c>```csharp</c> block of a Markdown file: where it is and its code.</summary>
/// <param name="File">The Markdown file, relative to the repository root (<c>docs/testing.md</c>).</param>
/// <param name="Line">The line of the block's first code line (1-based), just after the opening fence.</param>
/// <param name="Code">The code between the fences.</param>
public sealed record DocSnippet(string File, int Line, string Code)
{
    /// <summary>The block's location, <c>file:line</c>: the id of its test case.</summary>
    public string Location => $"{File}:{Line}";

    /// <summary>The repository root: the nearest folder above the test's output that holds the solution.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Every <c>```csharp</c> block of README.md, docs/*.md and the packages' src/*/README.md, in file order.</summary>
    public static IReadOnlyList<DocSnippet> All { get; } = Load();

    /// <summary>The blocks of one Markdown text (<c>```csharp</c> fences only; any other language is not C#).</summary>
    public static IEnumerable<DocSnippet> Parse(string file, string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var language = fence[3..].Trim();
            var start = i + 1;
            var end = start;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                end++;
            }

            if (language is "csharp" or "cs" or "c#")
            {
                yield return new DocSnippet(file, start + 1, string.Join('\n', lines[start..Math.Min(end, lines.Length)]));
            }

            i = end;
        }
    }

    private static List<DocSnippet> Load()
    {
        var files = new List<string> { Path.Combine(RepoRoot, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(RepoRoot, "docs"), "*.md").Order(StringComparer.Ordinal));
        files.AddRange(Directory.GetDirectories(Path.Combine(RepoRoot, "src"))
            .Select(d => Path.Combine(d, "README.md"))
            .Where(System.IO.File.Exists)
            .Order(StringComparer.Ordinal));
        return [.. files.SelectMany(f => Parse(Path.GetRelativePath(RepoRoot, f).Replace('\\', '/'), System.IO.File.ReadAllText(f)))];
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "FeatureFlags.AspNetCore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No FeatureFlags.AspNetCore.sln above {AppContext.BaseDirectory}.");
    }
}
