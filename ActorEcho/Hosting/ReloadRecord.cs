namespace ActorEcho.Hosting;

/// <summary>The last reload that read anything, as the status page shows it: when, what asked for it
/// (<see cref="Signal"/> or <see cref="CertificateFiles"/>) and its <c>actorecho.reloads</c> result
/// (<c>ok</c> or <c>rejected</c>).</summary>
public sealed record ReloadRecord(DateTimeOffset At, string Trigger, string Result)
{
    public const string Signal = "signal";
    public const string CertificateFiles = "certificate files";
}
