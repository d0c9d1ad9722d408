namespace ActorEcho.Configuration;

/// <summary>
/// One leaf key whose value differs between the configuration in force and the one a reload read
/// (<see cref="ReloadRules.Changes"/>): <paramref name="Key"/> is its full path (<c>actor-echo.max-connections</c>,
/// <c>akka.loglevel</c>), <paramref name="Old"/> and <paramref name="New"/> its values as written (<c>null</c>: absent).
/// </summary>
public sealed record ConfigChange(string Key, string? Old, string? New)
{
    /// <summary>The key cannot change without a restart (<see cref="ReloadRules.NeedsRestart"/>).</summary>
    public bool NeedsRestart => ReloadRules.NeedsRestart(Key);

    /// <summary>A value that must never reach the log: the key's name says password.</summary>
    public bool IsSecret => Key.Contains("password", StringComparison.OrdinalIgnoreCase);

    /// <summary>The old value as logged: hidden for a secret, <c>(none)</c> when absent.</summary>
    public string OldText => Show(Old);

    /// <summary>The new value as logged.</summary>
    public string NewText => Show(New);

    /// <summary><c>key: old -> new</c>, as the reload's INFO line lists it.</summary>
    public override string ToString() => $"{Key}: {OldText} -> {NewText}";

    private string Show(string? value) => IsSecret ? "(hidden)" : value ?? "(none)";
}
