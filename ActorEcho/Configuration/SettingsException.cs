namespace ActorEcho.Configuration;

/// <summary>A setting is missing, malformed or out of range; the message is one line meant for the user.</summary>
public sealed class SettingsException(string message) : Exception(message);
