namespace ActorEcho.Edge;

/// <summary>Why a source may not open a connection (null: it may). The text is the <c>reason</c> tag of
/// <see cref="Diagnostics.EchoMetrics.ConnectionsRejected"/>.</summary>
public static class Refusal
{
    public const string MaxConnections = "max-connections";
    public const string ShuttingDown = "shutting-down";
    public const string UntrustedProxy = "untrusted-proxy";
    public const string Denied = "denied";
    public const string NotAllowed = "not-allowed";
    public const string PerSourceLimit = "per-source-limit";
    public const string ConnectRate = "connect-rate";
    public const string SourceTableFull = "source-table-full";
}
