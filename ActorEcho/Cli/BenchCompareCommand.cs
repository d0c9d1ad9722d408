using System.CommandLine;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// <c>bench compare A.json B.json ... --report FILE.html</c>: draws saved <c>bench --json</c> results (TCP, UDP, TLS)
/// on the same plots, one colour each, so that a before and after is one picture. Labels are the file names unless
/// <c>--label</c> names them (once per file, in order).
/// </summary>
public sealed class BenchCompareCommand : Command
{
    private readonly Argument<string[]> _files = new("results")
    {
        Description = "bench --json results to draw together (a file each)",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string> _report = new("--report")
    {
        Description = "The HTML report to write: one self-contained file",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string[]> _labels = new("--label")
    {
        Description = "The legend's name for each result, in the order of the files (default: the file names)",
        HelpName = "NAME",
        AllowMultipleArgumentsPerToken = false,
    };

    public BenchCompareCommand() : base("compare", "Draw saved bench --json results on one HTML report, to compare them")
    {
        Arguments.Add(_files);
        Options.Add(_report);
        Options.Add(_labels);
        SetAction(result => Run(result));
    }

    private int Run(ParseResult result)
    {
        var files = result.GetRequiredValue(_files);
        var labels = result.GetValue(_labels) ?? [];
        if (labels.Length > 0 && labels.Length != files.Length)
            return ExitCodes.Report(ExitCodes.BadInput, $"--label is given {labels.Length} time(s) for {files.Length} file(s): give one per file, or none");
        var report = result.GetRequiredValue(_report);
        if (ReportFile.Check(report) is { } unwritable)
            return ExitCodes.Report(ExitCodes.BadInput, unwritable);

        var runs = new List<ReportRun>();
        for (var i = 0; i < files.Length; i++)
        {
            try
            {
                runs.Add(BenchResultFile.Read(files[i], labels.Length > 0 ? labels[i] : Path.GetFileName(files[i])));
            }
            catch (InvalidDataException e)
            {
                return ExitCodes.Report(ExitCodes.BadInput, e.Message);
            }
        }
        HtmlReport.Write(report, runs.Count == 1 ? $"bench {runs[0].Label}" : "bench compare: " + string.Join(" vs ", runs.Select(r => r.Label)), runs);
        return ExitCodes.Ok;
    }
}
