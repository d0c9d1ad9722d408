using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorEcho.LoadEngine;

/// <summary>How a bench connection loads the server. Written as <see cref="BenchModes.Name"/> on the command
/// line, in the report and in JSON.</summary>
[JsonConverter(typeof(BenchModeJsonConverter))]
public enum BenchMode
{
    /// <summary>Each connection sends one message and waits for all of it to come back, again and again.
    /// The default (the zero value), so an unset mode is pingpong.</summary>
    PingPong,

    /// <summary>Each connection keeps a window of bytes in flight, sending and receiving at the same time.</summary>
    Stream,
}

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

/// <summary>A mode in JSON is its <see cref="BenchModes.Name"/>.</summary>
internal sealed class BenchModeJsonConverter : JsonConverter<BenchMode>
{
    public override BenchMode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        BenchModes.TryParse(reader.GetString() ?? "", out var mode) ? mode : throw new JsonException($"unknown bench mode '{reader.GetString()}'");

    public override void Write(Utf8JsonWriter writer, BenchMode value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name());
}
