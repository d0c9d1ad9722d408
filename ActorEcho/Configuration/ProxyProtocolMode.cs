namespace ActorEcho.Configuration;

/// <summary>Which PROXY protocol versions a listener accepts from its trusted sources (<c>actor-echo.proxy-protocol.mode</c>).</summary>
public enum ProxyProtocolMode
{
    Off,
    V1,
    V2,
    Any,
}
