namespace ActorEcho.Edge;

/// <summary>What <see cref="ProxyProtocolParser.Parse"/> makes of the bytes a connection received so far.</summary>
public enum ProxyParseStatus
{
    /// <summary>Every byte so far can start a valid header; more are needed.</summary>
    NeedMore,
    Complete,
    Invalid,
}
