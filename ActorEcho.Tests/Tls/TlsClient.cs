using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Tls;

/// <summary>A TLS client on the loopback: <see cref="SslStream"/> over a socket, for the TLS specs.</summary>
public sealed class TlsClient : IAsyncDisposable
{
    private TlsClient(Socket socket, SslStream stream)
    {
        Socket = socket;
        Stream = stream;
    }

    public Socket Socket { get; }
    public SslStream Stream { get; }

    /// <summary>Connects and completes the handshake; the server certificate must chain to
    /// <see cref="TestCertificates.Ca"/> unless <paramref name="trustAny"/>. <paramref name="preamble"/> (a balancer's
    /// PROXY header) is sent in the clear before the ClientHello: in the same send, as HAProxy does, unless
    /// <paramref name="preambleAlone"/>. The socket is bound to <paramref name="from"/> if given.</summary>
    public static async Task<TlsClient> ConnectAsync(IPEndPoint server, CancellationToken ct,
        X509Certificate2? clientCertificate = null, SslProtocols protocols = SslProtocols.None, bool trustAny = false,
        int? socketBufferSize = null, byte[]? preamble = null, bool preambleAlone = false, IPAddress? from = null,
        string targetHost = "localhost")
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
            socket.Bind(new IPEndPoint(from, 0));
        // Fixed buffers switch off the kernel's auto-tuning, which could hide megabytes in loopback buffers.
        if (socketBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
            socket.SendBufferSize = size;
        }
        SslStream? stream = null;
        try
        {
            await socket.ConnectAsync(server, ct);
            Stream network = new NetworkStream(socket, ownsSocket: false);
            if (preamble is not null && preambleAlone)
                await socket.SendAsync(preamble, SocketFlags.None, ct);
            else if (preamble is not null)
                network = new PrefixedStream(network, preamble);
            stream = new SslStream(network);
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = targetHost,
                EnabledSslProtocols = protocols,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                // Always offer the spec's certificate, whatever CA names the server lists: the server must judge it.
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    trustAny || ChainsToTestCa(certificate),
            }, ct);
            return new TlsClient(socket, stream);
        }
        catch
        {
            stream?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private static bool ChainsToTestCa(X509Certificate? certificate)
    {
        if (certificate is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCertificates.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public async Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await Stream.WriteAsync(data, ct);
        await Stream.FlushAsync(ct);
    }

    public async Task<byte[]> ReceiveExactlyAsync(int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }

    /// <summary>Reads until the server's close_notify (or the end of the TCP stream).</summary>
    public async Task<byte[]> ReceiveToEndAsync(CancellationToken ct)
    {
        using var received = new MemoryStream();
        await Stream.CopyToAsync(received, ct);
        return received.ToArray();
    }

    /// <summary>Sends <paramref name="data"/>, then close_notify (our half-close), and reads the echo to the end
    /// while sending.</summary>
    public async Task<byte[]> EchoWithHalfCloseAsync(byte[] data, CancellationToken ct)
    {
        var receiving = ReceiveToEndAsync(ct);
        await SendAsync(data, ct);
        await ActorEcho.Cli.TlsEchoClient.SendCloseNotifyAsync(Stream, Socket);
        return await receiving;
    }

    /// <summary>One round trip of <paramref name="length"/> random bytes, checked, the connection left open.</summary>
    public async Task AssertEchoesAsync(int seed, CancellationToken ct, int length = 1000)
    {
        var data = LoopbackClient.RandomBytes(length, seed);
        var receiving = ReceiveExactlyAsync(length, ct);
        await SendAsync(data, ct);
        var echo = await receiving;
        Assert.True(data.AsSpan().SequenceEqual(echo), "the echo differs from what was sent");
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        Socket.Dispose();
    }
}

/// <summary>Sends <c>prefix</c> with the first write (the ClientHello), in one send, as a balancer's PROXY header
/// and the client's first bytes often arrive together.</summary>
internal sealed class PrefixedStream(Stream inner, byte[] prefix) : Stream
{
    private byte[]? _prefix = prefix;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefix is not { } prefix)
            return inner.WriteAsync(buffer, cancellationToken);
        _prefix = null;
        return inner.WriteAsync(prefix.Concat(buffer.ToArray()).ToArray(), cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
