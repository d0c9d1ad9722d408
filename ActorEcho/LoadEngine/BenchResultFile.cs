using System.Text.Json;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Reads a saved <c>bench --json</c> result (TCP, UDP or TLS, told apart by their fields) back into what the HTML
/// report draws, for <c>bench compare</c>. Anything else is refused with a message that names the file.
/// </summary>
public static class BenchResultFile
{
    /// <exception cref="InvalidDataException">the file cannot be read or is not a bench JSON result; the message is
    /// one line naming the file.</exception>
    public static ReportRun Read(string path, string label)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"cannot read '{path}': {e.Message}");
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw NotAResult(path, "not a JSON object");
            if (Has(root, "protocol", out var protocol) && protocol.ValueKind == JsonValueKind.String && protocol.GetString() == "udp"
                && Has(root, "echoesPerSecond", out _))
                return ReportRun.From(root.Deserialize(UdpBenchJsonContext.Default.UdpBenchResult)!, label);
            if (Has(root, "handshakesPerSecond", out _))
                return ReportRun.From(root.Deserialize(TlsBenchJsonContext.Default.TlsBenchResult)!, label);
            if (Has(root, "mode", out _) && Has(root, "messagesPerSecond", out _) && Has(root, "latencyMicroseconds", out _))
                return ReportRun.From(root.Deserialize(BenchJsonContext.Default.BenchResult)!, label);
            throw NotAResult(path, "none of the fields of a TCP, UDP or TLS result");
        }
        catch (JsonException e)
        {
            throw NotAResult(path, e.Message.Split('\n')[0].TrimEnd());
        }
        catch (NotSupportedException e)
        {
            throw NotAResult(path, e.Message.Split('\n')[0].TrimEnd());
        }
    }

    private static bool Has(JsonElement root, string name, out JsonElement value) => root.TryGetProperty(name, out value);

    private static InvalidDataException NotAResult(string path, string why) =>
        new($"'{path}' is not a bench JSON result (made by bench --json): {why}");
}
