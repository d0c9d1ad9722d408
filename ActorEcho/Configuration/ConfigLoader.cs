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
        catch (Exception e) when (FileErrors.IsUnreadable(e))
        {
            // The default file missing is not an error: the embedded defaults are the same file.
            if (path is null && e is FileNotFoundException or DirectoryNotFoundException)
                return Defaults;
            throw new SettingsException($"cannot read config file '{file}': {e.Message}");
        }

        return Parse(text, file).WithFallback(Defaults);
    }

    /// <summary>Parses HOCON text with Akka.NET's parser, after the two checks it cannot make itself
    /// (<see cref="HoconChecker"/>), and refuses unknown <c>actor-echo</c> keys (<see cref="KnownKeys"/>);
    /// <paramref name="origin"/> names it in error messages.</summary>
    public static Config Parse(string text, string origin)
    {
        if (HoconChecker.FindOptionalSubstitution(text) is { } line)
            throw new SettingsException(
                $"invalid config file '{origin}', line {line}: optional substitutions (${{?...}}) are not supported by " +
                $"Akka.NET's HOCON parser; set the bind address with {BindAddressHint} instead");
        if (HoconChecker.FindUnbalancedBracket(text) is { } unbalanced)
            throw new SettingsException($"invalid config file '{origin}', line {unbalanced}: a brace or bracket is not closed (or closed twice)");
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
            // Substitutions are resolved by the parse; touching the root makes a bad file fail here, not later.
            _ = config.Root;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var message = OneLine.Of(e.Message);
            throw new SettingsException($"invalid config file '{origin}': {message}");
        }
        KnownKeys.Check(config, origin);
        return config;
    }

    private const string BindAddressHint = "the ACTOR_ECHO_BIND environment variable or the command line";

    private static Config LoadDefaults()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ActorEcho.akka.hocon")
                           ?? throw new InvalidOperationException("the embedded akka.hocon is missing from the build");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
