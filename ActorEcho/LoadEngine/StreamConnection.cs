using System.Diagnostics;
using System.Net.Sockets;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Sends messages back to back while up to a window of bytes is in flight and, at the same time, receives and
/// checks the echo. A message's latency runs from its send to the arrival of its last byte, so it includes
/// the time it queued behind the window: latency under sustained load.
/// </summary>
public sealed class StreamConnection(int id, Socket socket, BenchClock clock, LatencyRecorder latency, int messageSize, int window)
    : BenchConnection(id, socket, clock, latency)
{
    private readonly SendWindow _window = new(window, messageSize);

    public override async Task RunAsync()
    {
        var buffer = NewReceiveBuffer(window);
        var sending = Task.Run(SendLoopAsync);
        var receiving = ReceiveUntilEndAsync(buffer);
        var first = await Task.WhenAny(sending, receiving).ConfigureAwait(false);
        if (first.IsFaulted)
        {
            // Whichever side failed first has the real reason; stop the other one (a sender waiting for room
            // that will never come, a receiver waiting for bytes) and report the first.
            _window.Close();
            Socket.Dispose();
            await Task.WhenAll(sending, receiving).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await first.ConfigureAwait(false);
        }
        await Task.WhenAll(sending, receiving).ConfigureAwait(false);
        Socket.Dispose();
    }

    private async Task SendLoopAsync()
    {
        while (!Clock.StopRequested && await _window.WaitForRoomAsync().ConfigureAwait(false))
        {
            var now = Stopwatch.GetTimestamp();
            var offset = _window.Reserve(now);
            await SendAsync(offset, messageSize).ConfigureAwait(false);
            CountSent(messageSize, now);
        }
        // Half-close: the server echoes what it has and closes, which ends the receiver.
        Socket.Shutdown(SocketShutdown.Send);
    }

    private async Task ReceiveUntilEndAsync(byte[] buffer)
    {
        while (true)
        {
            var received = await Socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            if (received == 0)
            {
                // EOF is only right once the sender has stopped and everything sent came back.
                var sent = _window.Sent;
                if (!Clock.StopRequested || ReceivedOffset < sent)
                    throw ClosedEarly(sent);
                return;
            }
            var now = Stopwatch.GetTimestamp();
            // Counted before it is checked, so that bytes nobody sent are caught as such, not as a wrong byte.
            if (!_window.Echoed(received, (Connection: this, Now: now), static (state, sentAt) => state.Connection.CountMessage(sentAt, state.Now)))
                throw EchoFailureException.Mismatch(
                    $"echo mismatch on connection {Id}: the server sent more bytes than it was sent");
            Verify(buffer.AsSpan(0, received));
            CountReceived(received, now);
        }
    }
}
