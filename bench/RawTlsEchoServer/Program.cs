// The raw SslStream echo that ActorEcho's TLS listener is measured against (bench/tls.sh): an accept loop, and per
// connection an SslStream on a NetworkStream, read 16 KiB and write it back, no limits, no checks (what a C# user
// writes without actors). Same TLS as ActorEcho: 1.2/1.3, a self-signed ECDSA P-256 certificate made at start.
// Usage: RawTlsEchoServer [ADDRESS]   (default 127.0.0.1:0; prints "Listening on tls <ip>:<port>")
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

var endpoint = IPEndPoint.Parse(args.Length > 0 ? args[0] : "127.0.0.1:0");
using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
var certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
var context = SslStreamCertificateContext.Create(certificate, [], offline: true);

using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(endpoint);
listener.Listen(4096);
Console.WriteLine($"Listening on tls {listener.LocalEndPoint}");

while (true)
{
    var client = await listener.AcceptAsync();
    client.NoDelay = true;
    _ = EchoAsync(client);
}

async Task EchoAsync(Socket client)
{
    try
    {
        await using var tls = new SslStream(new NetworkStream(client, ownsSocket: true));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            AllowRenegotiation = false,
        });
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await tls.ReadAsync(buffer)) > 0)
            await tls.WriteAsync(buffer.AsMemory(0, read));
        await tls.ShutdownAsync();
    }
    catch (Exception e) when (e is IOException or AuthenticationException or SocketException or ObjectDisposedException)
    {
    }
}
