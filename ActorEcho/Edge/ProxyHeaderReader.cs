using ActorEcho.Configuration;

namespace ActorEcho.Edge;

/// <summary>
/// Gathers a connection's first reads until they hold a complete PROXY header (or cannot), however the header was
/// split across reads. Holds at most <see cref="ProxyProtocolParser.MaxHeaderLength"/> bytes of header, plus
/// the read it ends in (where the data after it begins: <see cref="DataStart"/>, to be echoed). Not thread-safe:
/// one connection actor owns it.
/// </summary>
public sealed class ProxyHeaderReader(ProxyProtocolMode mode)
{
    private byte[] _buffer = [];

    /// <summary>With <see cref="ProxyParseStatus.Complete"/>: the header.</summary>
    public ProxyHeader? Header { get; private set; }

    /// <summary>With <see cref="ProxyParseStatus.Complete"/>: where, in the read that completed the header, the
    /// data begins (the bytes from there on are the client's, to be echoed).</summary>
    public int DataStart { get; private set; }

    /// <summary>With <see cref="ProxyParseStatus.Invalid"/>: why.</summary>
    public string? Error { get; private set; }

    public ProxyParseStatus Append(ReadOnlySpan<byte> data)
    {
        // Only the first MaxHeaderLength bytes can be header: keep the rest of this read aside, never buffer it.
        var room = ProxyProtocolParser.MaxHeaderLength - _buffer.Length;
        var take = Math.Min(room, data.Length);
        var gathered = new byte[_buffer.Length + take];
        _buffer.CopyTo(gathered, 0);
        data[..take].CopyTo(gathered.AsSpan(_buffer.Length));
        var status = ProxyProtocolParser.Parse(gathered, mode, out var header, out var length, out var error);
        switch (status)
        {
            case ProxyParseStatus.Complete:
                Header = header;
                // The header ends inside this read (it did not end in the earlier ones): data begins after it.
                DataStart = length - _buffer.Length;
                _buffer = [];
                break;
            case ProxyParseStatus.Invalid:
                Error = error;
                _buffer = [];
                break;
            default:
                _buffer = gathered;
                break;
        }
        return status;
    }
}
