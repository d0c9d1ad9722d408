namespace ActorEcho.Tests.Support;

/// <summary>The upper bound of one spec's socket and process work: a token that cancels once
/// <c>budget</c> has passed, so that a server that stops answering fails the spec instead of hanging the run.</summary>
public static class Deadline
{
    public static CancellationToken After(TimeSpan budget) => new CancellationTokenSource(budget).Token;
}
