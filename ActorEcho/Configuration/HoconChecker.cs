namespace ActorEcho.Configuration;

/// <summary>
/// The two checks of a HOCON file that Akka.NET's own parser (which does all the rest) cannot make. Checked again
/// against Akka.NET 1.5.74: an unset <c>${?X}</c> alone overflows the stack (the process dies) and after a value
/// becomes <c>&lt;&lt;unknown value&gt;&gt;</c>; an unclosed <c>[</c> never returns; an unclosed <c>{</c> or a
/// stray <c>}</c> is accepted silently. So both checks stay, ahead of the parser.
/// Both look only at code: characters outside quoted strings and comments, found the way Akka.NET 1.5.74's
/// <c>HoconTokenizer</c> finds strings (a backslash escapes the next character; <c>"""</c> opens a string that
/// ends at the next <c>"""</c>, across lines; a quoted string, too, runs to its closing quote across lines).
/// </summary>
internal static class HoconChecker
{
    /// <summary>Finds a <c>${?...}</c> outside comments and quoted strings; returns its 1-based line number.</summary>
    public static int? FindOptionalSubstitution(string text)
    {
        foreach (var (line, index) in CodeCharacters(text))
            if (text[index] == '$' && text.AsSpan(index).StartsWith("${?"))
                return line;
        return null;
    }

    /// <summary>Finds a brace or bracket without its partner, outside comments and quoted strings: the line of a
    /// stray closer, or of the last opener never closed.</summary>
    public static int? FindUnbalancedBracket(string text)
    {
        var open = new Stack<(char Closer, int Line)>();
        foreach (var (line, index) in CodeCharacters(text))
        {
            switch (text[index])
            {
                case '{': open.Push(('}', line)); break;
                case '[': open.Push((']', line)); break;
                case '}' or ']' when open.Count == 0 || open.Pop().Closer != text[index]:
                    return line;
            }
        }
        return open.Count > 0 ? open.Peek().Line : null;
    }

    private const string TripleQuote = "\"\"\"";

    /// <summary>The positions in <paramref name="text"/> that are code, each with its 1-based line.</summary>
    private static IEnumerable<(int Line, int Index)> CodeCharacters(string text)
    {
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                var end = text.AsSpan(i).StartsWith(TripleQuote) ? EndOfTripleQuoted(text, i) : EndOfQuoted(text, i);
                line += text.AsSpan(i, end - i).Count('\n');
                i = end;
                continue;
            }
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                var newline = text.IndexOf('\n', i);
                i = newline < 0 ? text.Length : newline;
                continue;
            }
            if (c == '\n')
                line++;
            else
                yield return (line, i);
            i++;
        }
    }

    /// <summary>The index just past the <c>"""</c> string that starts at <paramref name="start"/>.</summary>
    private static int EndOfTripleQuoted(string text, int start)
    {
        var close = text.IndexOf(TripleQuote, start + TripleQuote.Length, StringComparison.Ordinal);
        return close < 0 ? text.Length : close + TripleQuote.Length;
    }

    /// <summary>The index just past the quoted string that starts at <paramref name="start"/>.</summary>
    private static int EndOfQuoted(string text, int start)
    {
        var i = start + 1;
        while (i < text.Length && text[i] != '"')
            i += text[i] == '\\' ? 2 : 1;
        return Math.Min(i + 1, text.Length);
    }
}
