using System.Reflection;
using ActorEcho.Diagnostics;
using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// Loads the HOCON configuration: the user's file (by default <c>akka.hocon</c> beside the binary, so the host
/// works from any directory) over the shipped <c>akka.hocon</c>, which is embedded in the assembly and so
/// supplies every key a user's file leaves out.
/// </summary>
public static class ConfigLoader
{
    public const string DefaultFileName = "akka.hocon";

    /// <summary>The shipped configuration, embedded at build time from the repository's <c>akka.hocon</c>.</summary>
    public static Config Defaults { get; } = LoadDefaults();

    /// <summary>Path of the configuration file used when <c>--config</c> is not given.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, DefaultFileName);

    /// <summary>Reads <paramref name="path"/> (or the default file) and falls back on the shipped defaults.</summary>
    /// <exception cref="SettingsException">the file cannot be read or is not valid HOCON.</exception>
    public static Config Load(string? path)
    {
        var file = path ?? DefaultPath;
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The default file missing is not an error: the embedded defaults are the same file.
            if (path is null && e is FileNotFoundException or DirectoryNotFoundException)
                return Defaults;
            throw new SettingsException($"cannot read config file '{file}': {e.Message}");
        }

        return Parse(text, file).WithFallback(Defaults);
    }

    /// <summary>Parses HOCON text; <paramref name="origin"/> names it in error messages.</summary>
    public static Config Parse(string text, string origin)
    {
        if (FindOptionalSubstitution(text) is { } line)
            throw new SettingsException(
                $"invalid config file '{origin}', line {line}: optional substitutions (${{?...}}) are not supported by " +
                $"Akka.NET's HOCON parser; set the bind address with {BindAddressHint} instead");
        if (FindUnbalancedBracket(text) is { } unbalanced)
            throw new SettingsException($"invalid config file '{origin}', line {unbalanced}: a brace or bracket is not closed (or closed twice)");
        try
        {
            var config = ConfigurationFactory.ParseString(text);
            // Substitutions are resolved by the parse; touching the root makes a bad file fail here, not later.
            _ = config.Root;
            return config;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var message = OneLine.Of(e.Message);
            throw new SettingsException($"invalid config file '{origin}': {message}");
        }
    }

    private const string BindAddressHint = "the ACTOR_ECHO_BIND environment variable or the command line";

    /// <summary>
    /// Finds a <c>${?...}</c> outside comments and quoted strings; returns its 1-based line number. Akka.NET's
    /// HOCON parser reads such a value as empty and then overflows the stack (which no handler can catch) when
    /// the configuration is walked, so it must be refused before it is parsed.
    /// </summary>
    internal static int? FindOptionalSubstitution(string text)
    {
        foreach (var (line, lineText, index) in CodeCharacters(text))
            if (lineText[index] == '$' && lineText.AsSpan(index).StartsWith("${?"))
                return line;
        return null;
    }

    /// <summary>
    /// Finds a brace or bracket without its partner, outside comments and quoted strings: the line of a stray
    /// closer, or of the last opener never closed. Akka.NET's HOCON parser accepts an unclosed <c>{</c> silently.
    /// </summary>
    internal static int? FindUnbalancedBracket(string text)
    {
        var open = new Stack<(char Closer, int Line)>();
        foreach (var (line, lineText, index) in CodeCharacters(text))
        {
            switch (lineText[index])
            {
                case '{': open.Push(('}', line)); break;
                case '[': open.Push((']', line)); break;
                case '}' or ']' when open.Count == 0 || open.Pop().Closer != lineText[index]:
                    return line;
            }
        }
        return open.Count > 0 ? open.Peek().Line : null;
    }

    /// <summary>The characters of HOCON <paramref name="text"/> that are code: not inside a quoted string, not in
    /// a <c>#</c> or <c>//</c> comment. Yields the 1-based line, the line's text and the index in it.</summary>
    private static IEnumerable<(int Line, string Text, int Index)> CodeCharacters(string text)
    {
        var lines = text.Split('\n');
        for (var number = 0; number < lines.Length; number++)
        {
            var line = lines[number];
            var quoted = false;
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (c == '"' && (i == 0 || line[i - 1] != '\\'))
                    quoted = !quoted;
                else if (quoted)
                    continue;
                else if (c == '#' || (c == '/' && i + 1 < line.Length && line[i + 1] == '/'))
                    break;
                else
                    yield return (number + 1, line, i);
            }
        }
    }

    private static Config LoadDefaults()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ActorEcho.akka.hocon")
                           ?? throw new InvalidOperationException("the embedded akka.hocon is missing from the build");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
