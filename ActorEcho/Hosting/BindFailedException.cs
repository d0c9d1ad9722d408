namespace ActorEcho.Hosting;

/// <summary>The listening socket could not be bound; the message is one line meant for the user.</summary>
public sealed class BindFailedException(string message) : Exception(message);
