using System.Net;

namespace ActorEcho.Edge;

/// <summary>What a complete PROXY header said. <see cref="Source"/> is null when the connection's own addresses
/// stand: v1 UNKNOWN, v2 LOCAL (a balancer's health check), and v2 PROXY over UNSPEC or AF_UNIX (no IP to use).</summary>
public sealed record ProxyHeader(int Version, IPEndPoint? Source, IPEndPoint? Destination);
