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
