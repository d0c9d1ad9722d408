namespace ActorEcho.Hosting;

/// <summary>How one reload (<see cref="SettingsReload.ReloadAsync"/>) ended.</summary>
public enum ReloadOutcome
{
    /// <summary>Something changed, and is in force now (what needs a restart excepted, with a warning).</summary>
    Applied,

    /// <summary>The files say what is in force already.</summary>
    Unchanged,

    /// <summary>The files failed a check: nothing changed, one ERROR line says why.</summary>
    Rejected,

    /// <summary>The server was not serving (still starting, or shutting down): nothing was read.</summary>
    Ignored,
}
