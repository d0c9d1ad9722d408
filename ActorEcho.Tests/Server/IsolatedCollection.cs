namespace ActorEcho.Tests.Server;

/// <summary>
/// Specs that observe process-wide state: the static <c>ActorEcho</c> meter, and the process's open file
/// descriptors. They run alone, after the parallel collections, so that other specs' connections do not move
/// their numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "Process-wide measurements";
}
