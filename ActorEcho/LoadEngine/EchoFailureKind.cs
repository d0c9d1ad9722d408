namespace ActorEcho.LoadEngine;

/// <summary>What kind of thing went wrong talking to an echo server; the commands map it to an exit code.</summary>
public enum EchoFailureKind
{
    /// <summary>The address is malformed (nothing was sent on the network).</summary>
    BadAddress,

    /// <summary>Unknown host, refused, unreachable, timed out, reset or closed too early.</summary>
    Network,

    /// <summary>The bytes that came back are not the bytes that were sent.</summary>
    Mismatch,
}
