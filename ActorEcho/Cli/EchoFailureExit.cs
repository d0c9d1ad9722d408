using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>Reports an <see cref="EchoFailureException"/> as one <c>actor-echo: ...</c> line on stderr and
/// gives the exit code its kind stands for.</summary>
internal static class EchoFailureExit
{
    public static int Report(EchoFailureException failure) => ExitCodes.Report(CodeFor(failure.Kind), failure.Message);

    /// <summary>Whether a client command turns <paramref name="e"/> into one line and an exit code
    /// (<see cref="ClientFailure"/>): everything but running out of memory.</summary>
    public static bool IsReportable(Exception e) => e is not OutOfMemoryException;

    /// <summary>How <c>client</c> (TCP and UDP) ends on <paramref name="e"/>: an echo failure as its kind says; an
    /// <see cref="IOException"/> is stdin or stdout gone (piped into <c>head</c>, say), not a server problem; anything
    /// else is one line (<see cref="ExitCodes.ReportUnexpected"/>).</summary>
    public static int ClientFailure(Exception e) => e switch
    {
        EchoFailureException failure => Report(failure),
        IOException io => ExitCodes.Report(ExitCodes.Failure, $"cannot copy the echo: {io.Message}"),
        _ => ExitCodes.ReportUnexpected(e),
    };

    public static int CodeFor(EchoFailureKind kind) => kind switch
    {
        EchoFailureKind.BadAddress => ExitCodes.BadInput,
        EchoFailureKind.Network => ExitCodes.NetworkError,
        EchoFailureKind.Mismatch => ExitCodes.EchoMismatch,
        _ => ExitCodes.Failure,
    };
}
