namespace ActorEcho.LoadEngine;

/// <summary>An expected failure with a one-line message for the user (no stack trace).</summary>
public sealed class EchoFailureException(EchoFailureKind kind, string message) : Exception(message)
{
    public EchoFailureKind Kind { get; } = kind;

    public static EchoFailureException Network(string message) => new(EchoFailureKind.Network, message);
    public static EchoFailureException Mismatch(string message) => new(EchoFailureKind.Mismatch, message);
}
