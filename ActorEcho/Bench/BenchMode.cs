namespace ActorEcho.Bench;

public enum BenchMode
{
    /// <summary>Each connection sends one message and waits for all of it to come back, again and again.</summary>
    PingPong,

    /// <summary>Each connection keeps a window of bytes in flight, sending and receiving at the same time.</summary>
    Stream,
}
