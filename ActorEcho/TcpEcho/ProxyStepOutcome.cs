namespace ActorEcho.TcpEcho;

/// <summary>What a connection actor does after giving a message to its <see cref="ProxyHeaderStep"/>.</summary>
public enum ProxyStepOutcome
{
    /// <summary>Not the step's message: the actor's own handling (the drain, the connection's end).</summary>
    NotHandled,

    /// <summary>Nothing to do now.</summary>
    Waiting,

    /// <summary>The header is not complete: ask Akka.IO for one more read.</summary>
    ReadMore,

    /// <summary>The header is read and the listener asked to admit its client
    /// (<see cref="ProxyHeaderStep.Client"/>, <see cref="ProxyHeaderStep.Balancer"/>): no read meanwhile.</summary>
    HeaderRead,

    /// <summary>Close (FIN), nothing echoed, for <see cref="ProxyHeaderStep.CloseReason"/>
    /// (<see cref="ProxyHeaderStep.Why"/> says more for the DEBUG log).</summary>
    Close,

    /// <summary>The client is admitted: serve it, starting with <see cref="ProxyHeaderStep.AfterHeader"/>, and finish
    /// at once if <see cref="ProxyHeaderStep.PeerClosedEarly"/>.</summary>
    Admitted,
}
