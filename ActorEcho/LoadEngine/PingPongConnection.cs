using System.Diagnostics;
using System.Net.Sockets;

namespace ActorEcho.LoadEngine;

/// <summary>Sends one message, waits until exactly those bytes are back, records the round trip, repeats.</summary>
public sealed class PingPongConnection(int id, Socket socket, BenchClock clock, LatencyRecorder latency, int messageSize)
    : BenchConnection(id, socket, clock, latency)
{
    public override async Task RunAsync()
    {
        var buffer = NewReceiveBuffer(messageSize);
        long sentOffset = 0;
        while (!Clock.StopRequested)
        {
            var start = Stopwatch.GetTimestamp();
            // Send and receive at once: a message larger than the socket buffers would otherwise deadlock
            // against a server that stops reading while its echo is not read.
            var send = SendAsync(sentOffset, messageSize);
            sentOffset += messageSize;
            while (ReceivedOffset < sentOffset)
            {
                var wanted = (int)Math.Min(buffer.Length, sentOffset - ReceivedOffset);
                var received = await Socket.ReceiveAsync(buffer.AsMemory(0, wanted), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                    throw ClosedEarly(sentOffset);
                Verify(buffer.AsSpan(0, received));
            }
            await send.ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            CountSent(messageSize, end);
            CountReceived(messageSize, end);
            CountMessage(start, end);
        }
        await CloseAsync(buffer).ConfigureAwait(false);
    }
}
