using System.Net;
using System.Security.Authentication;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Server;
using ActorEcho.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>Handshake outcomes on the ActorEcho meter, by reason; the meter is process-wide, hence the isolated
/// collection.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class TlsHandshakeMetricsSpec(ITestOutputHelper output) : TlsKit(output)
{
    [Fact]
    public async Task Handshake_failures_are_counted_by_reason_and_closes_tagged_tls()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var failed = new MetricCollector<long>(EchoMetrics.TlsHandshakesFailed);
        using var completed = new MetricCollector<long>(EchoMetrics.TlsHandshakesCompleted);
        using var closed = new MetricCollector<long>(EchoMetrics.ConnectionsClosed);
        var (_, endpoint) = await StartTlsListenerAsync(Settings(), TestCertificates.ServerCredentials(ClientCertificateMode.Required),
            // Long enough for the good and the expired client's handshakes on a loaded machine: only the silent
            // client may time out.
            handshakeTimeout: TimeSpan.FromSeconds(1));

        await using (var good = await TlsClient.ConnectAsync(endpoint, ct, TestCertificates.GoodClient()))
            await good.AssertEchoesAsync(seed: 1, ct);
        using (var garbage = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            await garbage.SendAsync(LoopbackClient.RandomBytes(500, 3), ct);
            await garbage.ReceiveUntilClosedAsync(ct);
        }
        using (var silent = await LoopbackClient.ConnectAsync(endpoint, ct))
            await silent.ReceiveUntilClosedAsync(ct);
        try
        {
            await using var expired = await TlsClient.ConnectAsync(endpoint, ct, TestCertificates.ExpiredClient());
            await expired.SendAsync(new byte[10], ct);
            _ = await expired.Stream.ReadAsync(new byte[10], ct);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
        }

        await failed.WaitForMeasurementsAsync(3, ct);
        long Failed(string reason) => failed.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags["reason"], reason)).Sum(m => m.Value);
        Assert.Equal(1, Failed(EchoMetrics.HandshakeFailures.Protocol));
        Assert.Equal(1, Failed(EchoMetrics.HandshakeFailures.Timeout));
        Assert.Equal(1, Failed(EchoMetrics.HandshakeFailures.Certificate));
        Assert.Equal(1, completed.GetMeasurementSnapshot().Sum(m => m.Value));
        await closed.WaitForMeasurementsAsync(4, ct);
        Assert.All(closed.GetMeasurementSnapshot(), m => Assert.Equal("tls", m.Tags["listener"]));
        Assert.Equal(3, closed.GetMeasurementSnapshot().Count(m => Equals(m.Tags["reason"], CloseReasonTags.Text(CloseReason.HandshakeFailed))));
    }

    [Fact]
    public async Task Behind_a_balancer_a_bad_or_late_PROXY_header_counts_as_such_on_the_tls_listener_never_as_a_handshake_failure()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var failed = new MetricCollector<long>(EchoMetrics.TlsHandshakesFailed);
        using var completed = new MetricCollector<long>(EchoMetrics.TlsHandshakesCompleted);
        using var closed = new MetricCollector<long>(EchoMetrics.ConnectionsClosed);
        var settings = Settings(s => s with
        {
            Edge = s.Edge with
            {
                ProxyProtocol = ProxyProtocolMode.Any,
                TrustedSources = AddressList.Parse(["127.0.0.1"]),
                // Long enough for the good and the garbage client to send at once on a loaded machine.
                HeaderTimeout = TimeSpan.FromSeconds(1),
            },
        });
        var (_, endpoint) = await StartTlsListenerAsync(settings);

        var header = Encoding.ASCII.GetBytes("PROXY TCP4 198.51.100.7 127.0.0.1 51000 2000\r\n");
        await using (var good = await TlsClient.ConnectAsync(endpoint, ct, preamble: header))
            await good.AssertEchoesAsync(seed: 1, ct);
        using (var garbage = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback))
        {
            await garbage.SendAsync(LoopbackClient.RandomBytes(500, 3), ct);
            Assert.Empty((await garbage.ReceiveUntilClosedAsync(ct)).Bytes);
        }
        using (var late = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback))
        {
            await late.SendAsync(header[..10], ct);
            Assert.Empty((await late.ReceiveUntilClosedAsync(ct)).Bytes);
        }

        await closed.WaitForMeasurementsAsync(3, ct);
        long Closed(CloseReason reason) => closed.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags["reason"], CloseReasonTags.Text(reason))).Sum(m => m.Value);
        Assert.All(closed.GetMeasurementSnapshot(), m => Assert.Equal("tls", m.Tags["listener"]));
        Assert.Equal((1L, 1L, 1L), (Closed(CloseReason.ProxyHeaderInvalid), Closed(CloseReason.ProxyHeaderTimeout), Closed(CloseReason.PeerClosed)));
        Assert.Equal(1, completed.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Empty(failed.GetMeasurementSnapshot());
    }
}
