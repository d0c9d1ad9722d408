using System.Threading.Tasks.Sources;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Stream mode's flow control between one connection's sender and receiver: the sender may have at most
/// <c>window</c> bytes sent and not yet echoed. It also remembers when each message in flight was sent, so the
/// receiver can time it when its last byte is back. Waiting is a reusable <see cref="IValueTaskSource"/>, so a
/// full window costs no allocation; the lock is held for a few instructions and only ever by these two.
/// </summary>
public sealed class SendWindow : IValueTaskSource<bool>
{
    private readonly object _lock = new();
    private readonly long _window;
    private readonly int _messageSize;
    private readonly long[] _sendTimestamps; // ring: one per message in flight, oldest at _oldest
    private ManualResetValueTaskSourceCore<bool> _wakeUp = new() { RunContinuationsAsynchronously = true };
    private long _sent, _echoed;
    private int _oldest, _inFlight;
    private bool _senderWaiting, _closed;

    public SendWindow(int window, int messageSize)
    {
        _window = window;
        _messageSize = messageSize;
        _sendTimestamps = new long[window / messageSize + 1];
    }

    /// <summary>Waits until one more message fits; false when the window was closed instead.</summary>
    public ValueTask<bool> WaitForRoomAsync()
    {
        lock (_lock)
        {
            if (_closed)
                return new ValueTask<bool>(false);
            if (_window - (_sent - _echoed) >= _messageSize)
                return new ValueTask<bool>(true);
            _senderWaiting = true;
            _wakeUp.Reset();
            return new ValueTask<bool>(this, _wakeUp.Version);
        }
    }

    /// <summary>Records that a message is about to be sent at <paramref name="timestamp"/>; returns its offset.</summary>
    public long Reserve(long timestamp)
    {
        lock (_lock)
        {
            var offset = _sent;
            _sent += _messageSize;
            _sendTimestamps[(_oldest + _inFlight) % _sendTimestamps.Length] = timestamp;
            _inFlight++;
            return offset;
        }
    }

    public long Sent { get { lock (_lock) return _sent; } }

    /// <summary>Counts <paramref name="bytes"/> more echoed; calls <paramref name="onMessageEchoed"/> with the
    /// send timestamp of every message now echoed in full, and wakes the sender if it waits for room.
    /// Returns false, counting nothing, if that is more than was sent.</summary>
    public bool Echoed<TState>(int bytes, TState state, Action<TState, long> onMessageEchoed)
    {
        bool wake;
        lock (_lock)
        {
            if (_echoed + bytes > _sent)
                return false;
            _echoed += bytes;
            // The oldest message in flight ends (_inFlight - 1) messages before _sent.
            while (_inFlight > 0 && _echoed >= _sent - (long)(_inFlight - 1) * _messageSize)
            {
                onMessageEchoed(state, _sendTimestamps[_oldest]);
                _oldest = (_oldest + 1) % _sendTimestamps.Length;
                _inFlight--;
            }
            // Wake only with room for a message: waking for a few bytes would just make the sender wait again.
            wake = _senderWaiting && _window - (_sent - _echoed) >= _messageSize;
            if (wake)
                _senderWaiting = false;
        }
        if (wake)
            _wakeUp.SetResult(true);
        return true;
    }

    /// <summary>Stops the sender (run aborted or over): a pending or later wait returns false.</summary>
    public void Close()
    {
        bool wake;
        lock (_lock)
        {
            _closed = true;
            wake = _senderWaiting;
            _senderWaiting = false;
        }
        if (wake)
            _wakeUp.SetResult(false);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _wakeUp.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wakeUp.GetStatus(token);
    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _wakeUp.OnCompleted(continuation, state, token, flags);
}
