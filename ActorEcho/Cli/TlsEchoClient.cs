using System.CommandLine;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;
using ActorEcho.Tls;

namespace ActorEcho.Cli;

/// <summary>
/// <c>client --tls ADDRESS [MESSAGE]</c>: the client command over TLS (1.2 or 1.3). The server's certificate is
/// checked against the system's trust store, or against <c>--ca FILE</c> alone, or not at all with
/// <c>--insecure</c> (for <c>certificate = "self-signed"</c>); <c>--cert FILE --key FILE</c> present a client
/// certificate (mutual TLS). With a message: sends it, then close_notify (TLS's half-close), and prints the echo
/// until the server's close_notify; exit 4 if it differs. Without one, relays stdin as the plain client does.
/// </summary>
internal sealed class TlsEchoClient
{
    private const int BufferSize = 64 * 1024;

    private readonly Option<bool> _tls = new("--tls")
    {
        Description = "Use TLS (1.2 or 1.3); the server certificate is checked against the system's trust store unless --ca or --insecure",
    };

    private readonly Option<string?> _ca = new("--ca")
    {
        Description = "TLS: trust only the CA certificates in this PEM file for the server's certificate",
        HelpName = "FILE",
    };

    private readonly Option<bool> _insecure = new("--insecure", "-k")
    {
        Description = "TLS: do not check the server's certificate at all (a self-signed test server)",
    };

    private readonly Option<string?> _certificate = new("--cert")
    {
        Description = "TLS: client certificate (PEM) to present, with --key",
        HelpName = "FILE",
    };

    private readonly Option<string?> _key = new("--key")
    {
        Description = "TLS: private key (PEM) of --cert",
        HelpName = "FILE",
    };

    /// <summary>Adds <c>--tls</c>, <c>--ca</c>, <c>--insecure</c>, <c>--cert</c> and <c>--key</c> to the client command.</summary>
    public TlsEchoClient(Command client)
    {
        client.Options.Add(_tls);
        client.Options.Add(_ca);
        client.Options.Add(_insecure);
        client.Options.Add(_certificate);
        client.Options.Add(_key);
    }

    public bool IsRequested(ParseResult result) => result.GetValue(_tls);

    public async Task<int> RunAsync(ParseResult result, string address, string? message, TimeSpan timeout)
    {
        try
        {
            var endpoint = await TargetAddress.ResolveAsync(address);
            SslClientAuthenticationOptions options;
            try
            {
                options = Options(EndpointParser.Split(address).Host, result.GetValue(_ca), result.GetValue(_insecure),
                    result.GetValue(_certificate), result.GetValue(_key));
            }
            catch (ArgumentException e)
            {
                return ExitCodes.Report(ExitCodes.BadInput, e.Message);
            }
            var target = Dialer.Describe(endpoint);
            using var socket = await Dialer.ConnectAsync(endpoint, timeout);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            using (var handshake = new CancellationTokenSource(timeout))
            {
                try
                {
                    await tls.AuthenticateAsClientAsync(options, handshake.Token);
                }
                catch (Exception e) when (IsHandshakeFailure(e))
                {
                    throw EchoFailureException.Network($"TLS handshake with {target} failed: {OneLine.Of(e.InnerException?.Message ?? e.Message)}");
                }
            }
            await using var output = Console.OpenStandardOutput();
            if (message is null)
            {
                await using var input = Console.OpenStandardInput();
                await EchoAsync(tls, socket, input, null, output, timeout, target);
            }
            else
            {
                await EchoAsync(tls, socket, new MemoryStream(Encoding.UTF8.GetBytes(message)), Encoding.UTF8.GetBytes(message), output, timeout, target);
            }
            return ExitCodes.Ok;
        }
        catch (EchoFailureException failure)
        {
            return EchoFailureExit.Report(failure);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ExitCodes.ReportUnexpected(e);
        }
    }

    /// <summary>Copies <paramref name="input"/> to the server, then close_notify; meanwhile copies the echo to
    /// <paramref name="output"/> until the server's close_notify, checking it against <paramref name="expected"/>.</summary>
    private static async Task EchoAsync(SslStream tls, Socket socket, Stream input, byte[]? expected, Stream output, TimeSpan timeout, string target)
    {
        using var idle = new CancellationTokenSource();
        var received = 0L;
        var inputOver = false;
        var replies = Task.Run(async () =>
        {
            var buffer = new byte[BufferSize];
            while (true)
            {
                int read;
                try
                {
                    read = await tls.ReadAsync(buffer, idle.Token);
                }
                catch (OperationCanceledException)
                {
                    throw EchoFailureException.Network($"no echo from {target} for {Dialer.Describe(timeout)}");
                }
                catch (Exception e) when (IsConnectionFailure(e))
                {
                    throw EchoFailureException.Network($"connection to {target}: {OneLine.Of(e.Message)}");
                }
                if (read == 0)
                    return;
                if (expected is not null && (received + read > expected.Length
                                             || !buffer.AsSpan(0, read).SequenceEqual(expected.AsSpan((int)received, read))))
                    throw EchoFailureException.Mismatch($"the echo from {target} differs from the message");
                received += read;
                await output.WriteAsync(buffer.AsMemory(0, read));
                await output.FlushAsync();
                if (Volatile.Read(ref inputOver))
                    idle.CancelAfter(timeout);
            }
        });
        var chunk = new byte[BufferSize];
        int length;
        try
        {
            while ((length = await input.ReadAsync(chunk)) > 0)
                await tls.WriteAsync(chunk.AsMemory(0, length));
            Volatile.Write(ref inputOver, true);
            idle.CancelAfter(timeout);
            await SendCloseNotifyAsync(tls, socket); // TLS's half-close
        }
        catch (IOException e)
        {
            throw EchoFailureException.Network($"connection to {target}: {OneLine.Of(e.Message)}");
        }
        await replies;
        if (expected is not null && received < expected.Length)
            throw EchoFailureException.Network($"connection closed by {target} after {received} of {expected.Length} bytes of echo");
    }

    /// <summary>The connection or its TLS layer failed under a read (reset, closed, a bad record).</summary>
    private static bool IsConnectionFailure(Exception e) => e is IOException or AuthenticationException;

    /// <summary>The handshake failed, or did not finish within its timeout (OperationCanceledException).</summary>
    private static bool IsHandshakeFailure(Exception e) => IsConnectionFailure(e) || e is OperationCanceledException;

    /// <summary>Sends close_notify, TLS's half-close; where that fails, a TCP half-close (FIN) instead, which the
    /// server reads as the same end. On Linux, OpenSSL may refuse a close_notify while the reading side is busy:
    /// "shutdown while in init" as it processes the session tickets a TLS 1.3 server sends after the handshake, or
    /// SSL_ERROR_SYSCALL in the middle of a read (both seen with SslStream reading on another thread). Retrying is
    /// not safe (OpenSSL may count the close_notify as sent), a FIN always is.</summary>
    internal static async Task SendCloseNotifyAsync(SslStream tls, Socket socket)
    {
        try
        {
            await tls.ShutdownAsync();
        }
        catch (Exception e) when (IsCloseNotifyRefusal(e))
        {
            socket.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>OpenSSL's refusals come as several exception types; a cancelled or disposed stream is no refusal.</summary>
    private static bool IsCloseNotifyRefusal(Exception e) => e is not OperationCanceledException and not ObjectDisposedException;

    /// <summary>The client side's options (also <c>bench --tls</c>'s): what to trust, what to present.</summary>
    /// <exception cref="ArgumentException">a bad combination or an unreadable file: one line for the user.</exception>
    internal static SslClientAuthenticationOptions Options(string host, string? caFile, bool insecure, string? certificateFile, string? keyFile)
    {
        if (insecure && caFile is not null)
            throw new ArgumentException("--ca and --insecure exclude each other");
        if ((certificateFile is null) != (keyFile is null))
            throw new ArgumentException("--cert and --key go together");
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = TlsServerCredentials.Protocols,
        };
        if (certificateFile is not null)
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
                var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                options.ClientCertificates = [certificate];
                options.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
            }
            catch (Exception e) when (TlsServerCredentials.IsUnusableCertificate(e))
            {
                throw new ArgumentException($"--cert {certificateFile} --key {keyFile}: {OneLine.Of(e.Message)}");
            }
        }
        if (insecure)
        {
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (caFile is not null)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (TlsServerCredentials.IsUnusableCertificate(e))
            {
                throw new ArgumentException($"--ca {caFile}: {OneLine.Of(e.Message)}");
            }
            if (roots.Count == 0)
                throw new ArgumentException($"--ca {caFile}: no PEM certificate in it");
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
        return options;
    }
}
