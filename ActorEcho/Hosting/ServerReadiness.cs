namespace ActorEcho.Hosting;

/// <summary>
/// What the HTTP endpoint's <c>/ready</c> and <c>/live</c> report, flipped by the host as the server moves through
/// its life. The states only move forward (a late "bound" never undoes "shutting down"), and any thread may read
/// or flip them.
/// </summary>
public sealed class ServerReadiness
{
    /// <summary>The server's life, in order.</summary>
    public enum Stage
    {
        /// <summary>The actor system is not running yet.</summary>
        Starting = 0,
        /// <summary>The actor system runs; the listening socket is not bound yet.</summary>
        Binding = 1,
        /// <summary>Bound and serving: the only stage in which the server is ready.</summary>
        Serving = 2,
        /// <summary>Shutdown has begun (lame duck, then drain): still alive, no longer ready.</summary>
        ShuttingDown = 3,
        /// <summary>The actor system has terminated.</summary>
        Stopped = 4,
    }

    private int _stage = (int)Stage.Starting;
    private readonly TaskCompletionSource _shutdownStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Stage Current => (Stage)Volatile.Read(ref _stage);

    /// <summary><c>GET /ready</c> answers 200: the server accepts clients and is not shutting down.</summary>
    public bool IsReady => Current == Stage.Serving;

    /// <summary><c>GET /live</c> answers 200: the actor system runs (lame duck and drain included).</summary>
    public bool IsLive => Current is Stage.Binding or Stage.Serving or Stage.ShuttingDown;

    /// <summary>Completes at the first moment of shutdown (when readiness turns "not ready").</summary>
    public Task ShutdownStarted => _shutdownStarted.Task;

    public void MarkSystemStarted() => Advance(Stage.Binding);

    public void MarkServing() => Advance(Stage.Serving);

    public void MarkShuttingDown() => Advance(Stage.ShuttingDown);

    public void MarkStopped() => Advance(Stage.Stopped);

    private void Advance(Stage to)
    {
        var current = Volatile.Read(ref _stage);
        while (current < (int)to)
        {
            var seen = Interlocked.CompareExchange(ref _stage, (int)to, current);
            if (seen == current)
                break;
            current = seen;
        }
        if (to >= Stage.ShuttingDown)
            _shutdownStarted.TrySetResult();
    }
}
