using System.Buffers;
using System.Net.Security;
using System.Security.Authentication;
using ActorEcho.Diagnostics;
using Akka.Actor;
using Akka.Event;

namespace ActorEcho.Tls;

/// <summary>
/// One connection's TLS work, run as a task beside its <see cref="TlsEchoConnection"/>: the handshake, then the
/// plaintext echo (read, write, and again), then our close_notify. It reaches the actor only through its
/// <see cref="CiphertextStream"/> and the messages below; its ciphertext reads are answered only while the actor's
/// window allows them: the backpressure (<see cref="TlsEchoConnection"/>).
/// </summary>
internal static class TlsSession
{
    /// <summary>One TLS record's plaintext at most: one read of SslStream fills at most this.</summary>
    public const int PlaintextBufferSize = 16 * 1024;

    public static async Task RunAsync(IActorRef actor, SslServerAuthenticationOptions options, CertificateRejection rejection,
        KeyValuePair<string, object?> listenerTag)
    {
        var ssl = new SslStream(new CiphertextStream(actor), leaveInnerStreamOpen: false);
        try
        {
            try
            {
                await ssl.AuthenticateAsServerAsync(options).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var reason = rejection.Reason is not null ? EchoMetrics.HandshakeFailures.Certificate : EchoMetrics.HandshakeFailures.Protocol;
                actor.Tell(new HandshakeFailed(reason, rejection.Reason ?? OneLine.Of(e.InnerException?.Message ?? e.Message)));
                return;
            }
            actor.Tell(new HandshakeSucceeded(ssl.SslProtocol));
            Exception? fault = null;
            try
            {
                await EchoAsync(ssl, listenerTag).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                fault = e;
            }
            actor.Tell(new EchoEnded(fault));
        }
        finally
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Echoes until the client's close_notify (or the end of the ciphertext the actor gives: the client's
    /// FIN, the drain, the idle timeout), then sends our close_notify. The plaintext buffer is rented only once
    /// ciphertext has arrived (a zero-byte read waits for it), so an idle connection holds none, as SslStream
    /// itself then holds no buffer either.</summary>
    private static async Task EchoAsync(SslStream ssl, KeyValuePair<string, object?> listenerTag)
    {
        while (true)
        {
            await ssl.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(PlaintextBufferSize);
            try
            {
                var read = await ssl.ReadAsync(buffer.AsMemory(0, PlaintextBufferSize)).ConfigureAwait(false);
                if (read == 0)
                    break;
                EchoMetrics.BytesReceived.Add(read, listenerTag);
                await ssl.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                EchoMetrics.BytesSent.Add(read, listenerTag);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        try
        {
            await ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            // Our close_notify could not be sent (the client is gone, or OpenSSL is mid-message): the echo itself is
            // complete, and the FIN that follows still ends the stream.
        }
    }
}

/// <summary>The handshake completed: echoing starts.</summary>
internal sealed record HandshakeSucceeded(SslProtocols Protocol) : IDeadLetterSuppression;

/// <summary>The handshake failed; <paramref name="Reason"/> is one of <see cref="EchoMetrics.HandshakeFailures"/>.</summary>
internal sealed record HandshakeFailed(string Reason, string Detail) : IDeadLetterSuppression;

/// <summary>The echo loop ended: after our close_notify, or with <paramref name="Fault"/>.</summary>
internal sealed record EchoEnded(Exception? Fault) : IDeadLetterSuppression;
