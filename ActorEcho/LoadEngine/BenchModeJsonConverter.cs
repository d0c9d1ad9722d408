using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorEcho.LoadEngine;

/// <summary>A mode in JSON is its <see cref="BenchModes.Name"/>.</summary>
internal sealed class BenchModeJsonConverter : JsonConverter<BenchMode>
{
    public override BenchMode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        BenchModes.TryParse(reader.GetString() ?? "", out var mode) ? mode : throw new JsonException($"unknown bench mode '{reader.GetString()}'");

    public override void Write(Utf8JsonWriter writer, BenchMode value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name());
}
