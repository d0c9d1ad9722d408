using System.Text.Json.Serialization;

namespace ActorEcho.LoadEngine;

/// <summary>The JSON of a <see cref="UdpBenchResult"/>, source-generated, in camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(UdpBenchResult))]
internal sealed partial class UdpBenchJsonContext : JsonSerializerContext;
