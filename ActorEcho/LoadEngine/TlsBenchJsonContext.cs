using System.Text.Json.Serialization;

namespace ActorEcho.LoadEngine;

/// <summary>The JSON of a <see cref="TlsBenchResult"/>, source-generated, in camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TlsBenchResult))]
internal sealed partial class TlsBenchJsonContext : JsonSerializerContext;
