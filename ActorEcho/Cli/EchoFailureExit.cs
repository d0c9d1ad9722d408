using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>Reports an <see cref="EchoFailureException"/> as one <c>actor-echo: ...</c> line on stderr and
/// gives the exit code its kind stands for.</summary>
internal static class EchoFailureExit
{
    public static int Report(EchoFailureException failure) => ExitCodes.Report(CodeFor(failure.Kind), failure.Message);

    public static int CodeFor(EchoFailureKind kind) => kind switch
    {
        EchoFailureKind.BadAddress => ExitCodes.BadInput,
        EchoFailureKind.Network => ExitCodes.NetworkError,
        EchoFailureKind.Mismatch => ExitCodes.EchoMismatch,
        _ => ExitCodes.Failure,
    };
}
