using System.Text.Json.Serialization;

namespace ActorEcho.LoadEngine;

/// <summary>The JSON of a <see cref="BenchResult"/>, source-generated, in camelCase.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
