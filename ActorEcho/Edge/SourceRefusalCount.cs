using System.Net;

namespace ActorEcho.Edge;

/// <summary>The refusals of one source (a <see cref="SourceTable.KeyOf"/> key) by <see cref="Refusal"/> reason, as a
/// listener counted them (<see cref="SourceRefusalTable"/>). An immutable copy, for a message.</summary>
public sealed record SourceRefusalCount(IPAddress Source, IReadOnlyDictionary<string, long> ByReason);
