using System.Security.Authentication;
using ActorEcho.TcpEcho;
using Akka.Event;
using Akka.IO;

namespace ActorEcho.Tls;

// What one TlsTransport's session task (SslStream over a CiphertextStream) and Akka.IO tell its connection actor, which
// hands each to the transport first (EchoTransport.Translate). Suppressed as dead letters: a session may still speak
// after its actor stopped.

/// <summary>SslStream wants ciphertext into <paramref name="Buffer"/>: answered with the count (0: end of stream)
/// through <paramref name="Done"/>.</summary>
internal sealed record CiphertextRead(Memory<byte> Buffer, TaskCompletionSource<int> Done) : IDeadLetterSuppression;

/// <summary>SslStream's ciphertext to send; <paramref name="Done"/> completes once it is handed to Akka.IO.
/// <paramref name="CarriesEchoAck"/>: the first write of an echo's ciphertext, acknowledged with the connection's own
/// <see cref="EchoProtocol.WriteAck"/>.</summary>
internal sealed record CiphertextWrite(ByteString Data, TaskCompletionSource Done, bool CarriesEchoAck) : IDeadLetterSuppression;

/// <summary>Akka.IO's ack of a ciphertext write that is not an echo's (the handshake's, an alert, close_notify):
/// nothing waits for it.</summary>
internal sealed class CiphertextAck : Tcp.Event
{
    public static readonly CiphertextAck Instance = new();
    private CiphertextAck() { }
}

/// <summary>The handshake completed; <paramref name="Negotiated"/>: what it settled, for the access log and the live view.</summary>
internal sealed record HandshakeSucceeded(SslProtocols Protocol, NegotiatedTls? Negotiated) : IDeadLetterSuppression;

/// <summary>The handshake failed; <paramref name="Reason"/> is one of <see cref="Diagnostics.EchoMetrics.HandshakeFailures"/>.</summary>
internal sealed record HandshakeFailed(string Reason, string Detail) : IDeadLetterSuppression;

/// <summary>One plaintext read's bytes; empty: the end (the client's close_notify, or the end of the ciphertext).</summary>
internal sealed record Decrypted(ByteString Data) : IDeadLetterSuppression;

/// <summary>A plaintext read failed mid-stream (a bad or truncated record, an alert).</summary>
internal sealed record DecryptFailed(Exception Fault) : IDeadLetterSuppression;

/// <summary>Our close_notify is handed over (or could not be sent): the TCP close may follow.</summary>
internal sealed class CloseNotifySent : IDeadLetterSuppression
{
    public static readonly CloseNotifySent Instance = new();
    private CloseNotifySent() { }
}
