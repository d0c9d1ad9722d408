using ActorEcho.Diagnostics;
using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// The key-by-key reading that every settings section (<c>actor-echo</c>, <c>actor-echo.tls</c>,
/// <c>actor-echo.udp</c>) shares: finding the section, and turning a key that is missing, malformed or out of range
/// into one <see cref="SettingsException"/> line that names it with its section (<paramref name="name"/> below).
/// </summary>
internal static class SettingsSection
{
    /// <exception cref="SettingsException">the configuration has no such section.</exception>
    public static Config Get(Config config, string name)
    {
        var section = config.GetConfig(name);
        if (section is null || section.IsEmpty)
            throw new SettingsException($"the configuration has no '{name}' section");
        return section;
    }

    /// <summary>Reads one key, turning the parser's own exceptions (which name the value but not the key) into a
    /// one-line <see cref="SettingsException"/> that names both.</summary>
    public static T Read<T>(string name, Config section, string key, Func<Config, string, T> read)
    {
        try
        {
            return read(section, key);
        }
        catch (Exception e) when (SettingsErrors.IsSettingsError(e))
        {
            throw new SettingsException($"{name}.{key}: cannot read '{RawOrNull(section, key)}': {OneLine.Of(e.Message)}");
        }
    }

    /// <summary>The key's text for the message, or null where even that cannot be read (an object).</summary>
    private static string? RawOrNull(Config section, string key)
    {
        try
        {
            return section.HasPath(key) ? section.GetString(key) : null;
        }
        catch (Exception e) when (SettingsErrors.IsSettingsError(e))
        {
            return null;
        }
    }

    public static void Require(string name, Config section, string key)
    {
        if (!section.HasPath(key))
            throw new SettingsException($"{name}.{key} is missing");
    }

    public static int PositiveInt(string name, Config section, string key)
    {
        Require(name, section, key);
        var value = section.GetLong(key);
        if (value is < 1 or > int.MaxValue)
            throw new SettingsException($"{name}.{key} must be a positive integer, got {value}");
        return (int)value;
    }

    public static TimeSpan Duration(string name, Config section, string key)
    {
        Require(name, section, key);
        var value = section.GetTimeSpan(key, allowInfinite: false);
        if (value <= TimeSpan.Zero)
            throw new SettingsException($"{name}.{key} must be a positive duration, got '{section.GetString(key)}'");
        return value;
    }

    /// <summary><c>off</c>, <c>false</c> or empty: <c>null</c>; otherwise the text, trimmed.</summary>
    public static string? OptionalString(Config section, string key)
    {
        var raw = section.GetString(key)?.Trim();
        return string.IsNullOrEmpty(raw) || string.Equals(raw, "off", StringComparison.OrdinalIgnoreCase)
               || string.Equals(raw, "false", StringComparison.OrdinalIgnoreCase)
            ? null
            : raw;
    }
}
