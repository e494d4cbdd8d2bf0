using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FeatureFlags.Docs.Tests;

/// <summary>
/// Compiles a snippet with Roslyn as a file of a console app, together with <c>Prelude/SnippetPrelude.cs</c>, against
/// the assemblies this test runs with: the .NET and ASP.NET Core shared frameworks, the SDK's packages, the sample app
/// and the test packages the docs use.
/// </summary>
internal static class SnippetCompiler
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    private static readonly Lazy<SyntaxTree> Prelude = new(() => CSharpSyntaxTree.ParseText(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Prelude", "SnippetPrelude.cs")), ParseOptions, "SnippetPrelude.cs"));

    /// <summary>The compiler's errors for <paramref name="snippet"/>, each as <c>file:line: CSxxxx message</c>; empty when it compiles.</summary>
    public static IReadOnlyList<string> Errors(DocSnippet snippet)
    {
        var tree = CSharpSyntaxTree.ParseText(snippet.Code, ParseOptions, snippet.File);
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [Prelude.Value, tree],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        return [.. compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS5001") // CS5001: a block of types only has no Main
            .Select(d => Describe(snippet, d))];
    }

    private static string Describe(DocSnippet snippet, Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        var where = span.Path == snippet.File
            ? $"{snippet.File}:{snippet.Line + span.StartLinePosition.Line}"
            : $"{span.Path}:{span.StartLinePosition.Line + 1}";
        return $"{where}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The trusted platform assemblies (shared frameworks and the app's dependencies), then anything else in the
        // output folder; one reference per assembly name.
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"));
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in paths)
        {
            byName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }

        var references = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var path in byName.Values)
        {
            if (IsManaged(path))
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }

        return references.ToImmutable();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
