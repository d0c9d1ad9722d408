using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using ActorEcho.LoadEngine;

namespace ActorEcho.TlsFlood;

/// <summary>
/// One flooding client: connects and completes its handshake, then writes its bytes while reading nothing until
/// the hold ends, then reads them all back (every byte checked against <see cref="EchoPattern"/>) while the rest
/// of its writes go out, then closes with close_notify and expects nothing more. It never throws: a failure is
/// kept as <see cref="Error"/> and the client is not <see cref="IsCompleted"/>.
/// </summary>
internal sealed class FloodClient(int id, long bytes)
{
    /// <summary>Plaintext per write and per read: one full TLS record.</summary>
    private const int Chunk = 16 * 1024;

    private static readonly EchoPattern Pattern = EchoPattern.Shared;
    private readonly long _patternStart = EchoPattern.Start(id);
    private Socket? _socket;
    private SslStream? _tls;

    public bool IsConnected => _tls is not null;
    public bool IsCompleted { get; private set; }
    /// <summary>The negotiated TLS version, once connected.</summary>
    public string? Protocol { get; private set; }
    public long WrongBytes { get; private set; }
    public string? Error { get; private set; }

    public async Task ConnectAsync(IPEndPoint endpoint, SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            (_socket, _tls, Protocol) = (socket, tls, tls.SslProtocol.ToString());
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Error = $"{(tls is null ? "connect" : "handshake")}: {Describe(e)}";
            if (tls is not null)
                await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
        }
    }

    /// <summary>The flood, once connected: <paramref name="hold"/> completes when reading may start.</summary>
    public async Task FloodAsync(Task hold, CancellationToken cancellationToken)
    {
        var tls = _tls ?? throw new InvalidOperationException("not connected");
        var writing = WriteAllAsync(tls, cancellationToken);
        try
        {
            await hold.ConfigureAwait(false);
            if (writing.IsFaulted)
                await writing.ConfigureAwait(false); // the server cut the connection while it was not read
            await ReadAllAsync(tls, cancellationToken).ConfigureAwait(false);
            await writing.ConfigureAwait(false);
            await CloseAsync(tls, cancellationToken).ConfigureAwait(false);
            IsCompleted = WrongBytes == 0;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Error = Describe(e);
        }
        finally
        {
            await tls.DisposeAsync().ConfigureAwait(false); // ends a write still pending after a failure
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // its failure is the one above
        }
    }

    private async Task WriteAllAsync(SslStream tls, CancellationToken cancellationToken)
    {
        for (long sent = 0; sent < bytes;)
        {
            var length = (int)Math.Min(Chunk, bytes - sent);
            await tls.WriteAsync(Pattern.Slice(_patternStart, sent, length), cancellationToken).ConfigureAwait(false);
            sent += length;
        }
    }

    private async Task ReadAllAsync(SslStream tls, CancellationToken cancellationToken)
    {
        var buffer = new byte[Chunk];
        for (long received = 0; received < bytes;)
        {
            var read = await tls.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new FloodFailure($"closed by the server with {bytes - received} byte(s) of echo missing");
            Check(buffer.AsSpan(0, read), received);
            received += read;
        }
    }

    /// <summary>Counts the bytes of <paramref name="echo"/> (received at stream offset <paramref name="offset"/>)
    /// that differ from what was sent there, and those beyond all that was sent.</summary>
    private void Check(ReadOnlySpan<byte> echo, long offset)
    {
        var sent = (int)Math.Clamp(bytes - offset, 0, echo.Length);
        WrongBytes += echo.Length - sent;
        var echoOfSent = echo[..sent];
        if (Pattern.FirstMismatch(_patternStart, offset, echoOfSent) < 0)
            return;
        var expected = Pattern.Slice(_patternStart, offset, sent).Span;
        for (var i = 0; i < sent; i++)
        {
            if (echoOfSent[i] != expected[i])
                WrongBytes++;
        }
    }

    /// <summary>close_notify (TLS's half-close), then the server's close_notify and FIN: anything before them is
    /// more than was sent. Where OpenSSL refuses the close_notify (see TlsEchoClient.SendCloseNotifyAsync), a FIN,
    /// which the server reads as the same end.</summary>
    private async Task CloseAsync(SslStream tls, CancellationToken cancellationToken)
    {
        try
        {
            await tls.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            _socket!.Shutdown(SocketShutdown.Send);
        }
        var buffer = new byte[256];
        int read;
        while ((read = await tls.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            WrongBytes += read;
    }

    internal static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException
            or FloodFailure;

    internal static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out (--timeout)",
        _ when e.InnerException is SocketException inner => inner.Message,
        _ => e.Message,
    };
}

/// <summary>The echo ended early or came back wrong: a reason of the bench's own, not of the network.</summary>
internal sealed class FloodFailure(string message) : Exception(message);
