using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ActorEcho.Cli;

/// <summary>
/// Parsers for the values network people type: durations (<c>10</c> = 10 s, <c>500ms</c>, <c>2s</c>, <c>1m</c>)
/// and byte sizes (<c>64</c>, <c>16k</c> = <c>16KiB</c> = 16384, <c>1m</c> = <c>1MiB</c>). Errors are added to the
/// parse result, so System.CommandLine reports them like any other parse error.
/// </summary>
internal static class CommandLineValues
{
    /// <summary>Adds a range check to <paramref name="option"/>: <paramref name="problem"/> returns the error
    /// message for a bad value, or null. Skipped when the value did not even parse (that error is reported).</summary>
    public static void Check<T>(Option<T> option, Func<T, string?> problem)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return;
            }
            if (problem(value) is { } message)
                result.AddError(message);
        });
    }

    /// <summary>An option that takes a duration (<c>10</c>, <c>500ms</c>, <c>1m</c>). Absent, its value is null and
    /// the command applies its own default, which <paramref name="description"/> states.</summary>
    public static Option<TimeSpan?> DurationOption(string name, string alias, string description) => new(name, alias)
    {
        Description = description,
        HelpName = "DURATION",
        CustomParser = ParseOptionalDuration,
    };

    /// <summary>Adds the check that a duration given for <paramref name="option"/> is more than zero.</summary>
    public static void CheckPositive(Option<TimeSpan?> option) =>
        Check(option, value => value is { } d && d <= TimeSpan.Zero ? $"{option.Name} must be more than 0." : null);

    public static TimeSpan? ParseOptionalDuration(ArgumentResult result) => ParseDuration(result);

    public static int? ParseOptionalByteSize(ArgumentResult result) => ParseByteSize(result);

    public static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = SingleToken(result);
        if (TryParseDuration(text, out var duration))
            return duration;
        result.AddError($"Invalid duration '{text}' for {Name(result)}: expected seconds (10, 2.5), or a number with ms, s or m (500ms, 1m).");
        return default;
    }

    public static int ParseByteSize(ArgumentResult result)
    {
        var text = SingleToken(result);
        if (TryParseByteSize(text, out var bytes))
            return bytes;
        result.AddError($"Invalid size '{text}' for {Name(result)}: expected bytes (64), or a number with k or m (16k = 16 KiB, 1m = 1 MiB).");
        return default;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, unit) = SplitUnit(text);
        var scale = unit switch
        {
            "" or "s" => 1.0,
            "ms" => 0.001,
            "m" or "min" => 60.0,
            _ => double.NaN,
        };
        if (double.IsNaN(scale) || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value * scale > TimeSpan.FromDays(1).TotalSeconds)
            return false;
        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }

    public static bool TryParseByteSize(string text, out int bytes)
    {
        bytes = default;
        var (number, unit) = SplitUnit(text);
        long scale = unit switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1024,
            "m" or "mb" or "mib" => 1024 * 1024,
            _ => 0,
        };
        if (scale == 0 || !long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || value > int.MaxValue / scale)
            return false;
        bytes = (int)(value * scale);
        return true;
    }

    /// <summary>A byte size as it is typed: <c>256k</c>, <c>1m</c>, <c>1500</c>.</summary>
    public static string FormatByteSize(int bytes) => bytes switch
    {
        > 0 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)}m",
        > 0 when bytes % 1024 == 0 => $"{bytes / 1024}k",
        _ => $"{bytes}",
    };

    private static (string Number, string Unit) SplitUnit(string text)
    {
        text = text.Trim().ToLowerInvariant();
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
            end++;
        return (text[..end], text[end..].Trim());
    }

    private static string SingleToken(ArgumentResult result) =>
        result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(t => t.Value));

    private static string Name(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
