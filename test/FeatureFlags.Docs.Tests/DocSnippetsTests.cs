using Xunit;

namespace FeatureFlags.Docs.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md, docs/*.md and src/*/README.md compiles (the convention is in README.md, "Code in the
/// docs"): one test case per block, named by its file and line, failing with the compiler's errors at their doc lines.
/// </summary>
public sealed class DocSnippetsTests
{
    public static TheoryData<string> Blocks => [.. DocSnippet.All.Select(s => s.Location)];

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_Compiles(string location)
    {
        var snippet = DocSnippet.All.Single(s => s.Location == location);

        var errors = SnippetCompiler.Errors(snippet);

        Assert.True(errors.Count == 0, $"The C# block at {location} does not compile:\n{string.Join('\n', errors)}");
    }

    [Fact]
    public void Docs_HaveCSharpBlocks()
        => Assert.Contains(DocSnippet.All, s => s.File == "README.md");

    [Fact]
    public void Parse_FindsCSharpBlocksOnlyWithTheirFirstLine()
    {
        const string Markdown = "# T\n\n```csharp\nvar a = 1;\n```\n\n```text\nnot C#\n```\n```cs\nvar b = 2;\n```\n";

        var blocks = DocSnippet.Parse("x.md", Markdown).ToList();

        Assert.Equal([("x.md", 4, "var a = 1;"), ("x.md", 11, "var b = 2;")], blocks.Select(b => (b.File, b.Line, b.Code)));
    }

    [Fact]
    public void Errors_BrokenBlock_NamesTheDocLine()
    {
        var errors = SnippetCompiler.Errors(new DocSnippet("x.md", 10, "var a = 1;\nint b = \"text\";"));

        Assert.Contains(errors, e => e.StartsWith("x.md:11: CS0029", StringComparison.Ordinal));
    }
}
