namespace ActorEcho.TcpEcho;

/// <summary>
/// Idle detection for a connection actor, by counting ticks of one periodic timer: traffic (a read or an ack) marks
/// the connection active, and <see cref="TicksPerTimeout"/> whole tick periods without traffic make an idle
/// timeout, so the close comes between one and one and a quarter idle timeouts after the last traffic. Akka's
/// receive timeout would do the same job but reschedules a timer on every message, a measurable share of the CPU
/// per echoed frame; counting ticks, rather than reading a clock, also lets specs drive idleness in virtual time.
/// <see cref="EchoConnection"/>'s, plain and TLS alike; the timer's message is <see cref="EchoProtocol.IdleTick"/>.
/// </summary>
internal sealed class IdleClock
{
    public const int TicksPerTimeout = 4;

    private bool _activeSinceTick;
    private int _quietTicks;

    /// <summary>The period of the timer for <paramref name="idleTimeout"/>.</summary>
    public static TimeSpan TickInterval(TimeSpan idleTimeout) => idleTimeout / TicksPerTimeout;

    /// <summary>Traffic: the connection is not idle.</summary>
    public void Touch() => _activeSinceTick = true;

    /// <summary>Whether this tick completes an idle timeout; the count restarts when it does.</summary>
    public bool TickElapsed()
    {
        if (_activeSinceTick)
        {
            _activeSinceTick = false;
            _quietTicks = 0;
            return false;
        }
        if (++_quietTicks < TicksPerTimeout)
            return false;
        _quietTicks = 0;
        return true;
    }
}
