namespace ActorEcho.LoadEngine;

/// <summary>The names of <see cref="BenchMode"/>s, as the command line, the report and JSON write them.</summary>
public static class BenchModes
{
    /// <summary>The mode's one name: <c>pingpong</c> or <c>stream</c>.</summary>
    public static string Name(this BenchMode mode) => mode switch
    {
        BenchMode.PingPong => "pingpong",
        BenchMode.Stream => "stream",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public static IEnumerable<string> Names => Enum.GetValues<BenchMode>().Select(Name);

    public static bool TryParse(string name, out BenchMode mode)
    {
        foreach (var candidate in Enum.GetValues<BenchMode>())
        {
            if (candidate.Name() == name)
            {
                mode = candidate;
                return true;
            }
        }
        mode = default;
        return false;
    }
}
