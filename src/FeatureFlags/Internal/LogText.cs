using System.Buffers;
using System.Globalization;
using System.Text;

namespace FeatureFlags.Internal;

/// <summary>
/// Makes text from outside the app (flag keys, segment ids and problems from the flag server or the bootstrap file,
/// error messages that quote server data, request paths) safe to put into a log message: control characters, line and
/// paragraph separators and bidirectional overrides are written as escapes (<c>\r</c>, <c>\n</c>, <c>\t</c>,
/// <c>\uXXXX</c>), so a value cannot start a forged line in a plain-text sink nor reorder what is displayed.
/// </summary>
internal static class LogText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\u007F\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F"
        + "\u2028\u2029\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069");

    /// <summary>Returns <paramref name="text"/> with its unsafe characters escaped; the same instance when there are none.</summary>
    public static string Escape(string? text)
    {
        if (text is null)
        {
            return string.Empty;
        }

        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            _ = c switch
            {
                '\r' => builder.Append("\\r"),
                '\n' => builder.Append("\\n"),
                '\t' => builder.Append("\\t"),
                _ when Unsafe.Contains(c) => builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>Escapes each value (flag keys of a gate, say).</summary>
    public static string[] Escape(IReadOnlyList<string> values)
    {
        var escaped = new string[values.Count];
        for (var i = 0; i < escaped.Length; i++)
        {
            escaped[i] = Escape(values[i]);
        }

        return escaped;
    }
}
