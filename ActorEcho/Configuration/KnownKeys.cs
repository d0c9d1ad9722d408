using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorEcho.Configuration;

/// <summary>
/// Refuses a key under <c>actor-echo</c> that the shipped <c>akka.hocon</c> does not have, as nginx and HAProxy
/// refuse unknown directives: a misspelt key would otherwise be ignored silently and its default used
/// (<c>max-conections = 5</c> would leave 10,000 slots). The known keys are those of the embedded shipped file
/// (<see cref="ConfigLoader.Defaults"/>), so a key added there is known without further code.
/// </summary>
internal static class KnownKeys
{
    /// <summary>Every leaf path under <c>actor-echo</c> in the shipped file, relative to it (<c>udp.max-sources</c>).</summary>
    private static readonly Lazy<string[]> Shipped = new(() => LeafPaths(ConfigLoader.Defaults).ToArray());

    /// <summary>Throws if <paramref name="config"/> (a user's file, without fallback) sets an unknown
    /// <c>actor-echo</c> key; the message names it and the nearest known key.</summary>
    /// <exception cref="SettingsException">the first unknown key, in the file's order.</exception>
    public static void Check(Config config, string origin)
    {
        foreach (var path in LeafPaths(config))
        {
            if (IsKnown(path))
                continue;
            var hint = Nearest(path) is { } known ? $" (did you mean '{EchoSettings.SectionName}.{known}'?)" : "";
            throw new SettingsException(
                $"invalid config file '{origin}': unknown setting '{EchoSettings.SectionName}.{path}'{hint}");
        }
    }

    /// <summary>A shipped key, or a shipped section given a plain value, or a shipped key given an object: the
    /// last two are type errors that <see cref="EchoSettings"/> reports with the key's expected form.</summary>
    private static bool IsKnown(string path) => Shipped.Value.Any(known =>
        known == path || known.StartsWith(path + ".", StringComparison.Ordinal) || path.StartsWith(known + ".", StringComparison.Ordinal));

    /// <summary>The known key closest to <paramref name="path"/> by edit distance, if close enough to be a
    /// plausible misspelling (at most a third of the key's characters differ).</summary>
    private static string? Nearest(string path)
    {
        var (best, distance) = Shipped.Value
            .Select(known => (Key: known, Distance: EditDistance(path, known)))
            .MinBy(candidate => candidate.Distance);
        return best is not null && distance <= Math.Max(2, path.Length / 3) ? best : null;
    }

    private static IEnumerable<string> LeafPaths(Config config)
    {
        var section = config.Root.GetObject()?.GetKey(EchoSettings.SectionName)?.GetObject();
        return section is null ? [] : LeafPaths(section, "");
    }

    private static IEnumerable<string> LeafPaths(HoconObject section, string prefix)
    {
        foreach (var (key, value) in section.Items)
        {
            var path = prefix + key;
            if (value.GetObject() is { } child && child.Items.Count > 0)
                foreach (var leaf in LeafPaths(child, path + "."))
                    yield return leaf;
            else
                yield return path;
        }
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, one each.</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
