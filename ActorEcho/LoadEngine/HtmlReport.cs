using System.Globalization;
using System.Net;
using System.Text;

namespace ActorEcho.LoadEngine;

/// <summary>
/// The bench's HTML report: one self-contained file (no script, no stylesheet or font to fetch, no URL at all, so it
/// opens offline and from a mail attachment) with two plots drawn here as inline SVG and a table:
/// latency by percentile as HdrHistogram's plotter draws it (x: percentile on a log scale of 1/(1-p), 0 % to
/// 99.999 %; y: milliseconds), throughput per second over the run with the warmup shaded, and each run's parameters,
/// results, errors and mismatches, server address and date. Several runs (bench compare) share the plots, one colour
/// each, with a legend.
/// </summary>
public static class HtmlReport
{
    /// <summary>Right edge of the percentile axis: 99.999 %, five nines.</summary>
    private const double MaxNines = 5;

    private const int Width = 860, Height = 380, Left = 78, Right = 40, Top = 20, Bottom = 56;
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes the report to <paramref name="path"/> (replacing it).</summary>
    public static void Write(string path, string title, IReadOnlyList<ReportRun> runs)
    {
        using var file = new StreamWriter(path, append: false, new UTF8Encoding(false));
        Render(file, title, runs);
    }

    public static void Render(TextWriter output, string title, IReadOnlyList<ReportRun> runs)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(title)}}</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 900px; }
            h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 6px; }
            .sub { color: #666; margin: 0 0 12px; }
            svg { background: #fff; border: 1px solid #ddd; }
            svg text { font: 12px system-ui, sans-serif; fill: #333; }
            .grid { stroke: #e5e5e5; } .axis { stroke: #888; }
            .legend { margin: 6px 0; } .legend span { margin-right: 18px; white-space: nowrap; }
            .swatch { display: inline-block; width: 14px; height: 4px; vertical-align: middle; margin-right: 6px; }
            table { border-collapse: collapse; margin-top: 6px; }
            th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
            th { background: #f5f5f5; font-weight: 600; }
            .note { color: #666; font-size: 12px; }
            </style>
            </head>
            <body>
            <h1>{{E(title)}}</h1>
            <p class="sub">{{E(Subtitle(runs))}}</p>

            """);
        Legend(html, runs);
        html.Append("<h2>Latency by percentile</h2>\n");
        LatencyPlot(html, runs);
        html.Append("<h2>Throughput over the run</h2>\n");
        ThroughputPlot(html, runs);
        html.Append("<h2>Runs</h2>\n");
        Table(html, runs);
        html.Append("""
            <p class="note">Made by actor-echo bench. Latency: HdrHistogram (3 significant digits) of every message completed
            in the measured period, plotted as HdrHistogram's plotter does (log scale of 1/(1-percentile)). Throughput:
            messages echoed per second, about one sample a second, warmup shaded. The plots are inline SVG drawn by
            actor-echo itself: no script and no chart library.</p>
            </body>
            </html>

            """);
        output.Write(html.ToString());
    }

    private static string Subtitle(IReadOnlyList<ReportRun> runs)
    {
        if (runs.Count == 1)
        {
            var run = runs[0];
            return $"{run.Kind} against {run.Target}{(run.Address is { } a && a != run.Target ? $" ({a})" : "")}" +
                   (run.StartedAt is { } at ? $", {Date(at)}" : "");
        }
        return $"{runs.Count} runs compared: " + string.Join(", ", runs.Select(r => $"{r.Label} ({r.Kind})"));
    }

    private static void Legend(StringBuilder html, IReadOnlyList<ReportRun> runs)
    {
        html.Append("<div class=\"legend\">");
        for (var i = 0; i < runs.Count; i++)
            html.Append(C, $"<span><i class=\"swatch\" style=\"background:{Colour(i)}\"></i>{E(runs[i].Label)}</span>");
        html.Append("</div>\n");
    }

    private static void LatencyPlot(StringBuilder html, IReadOnlyList<ReportRun> runs)
    {
        // The 100 % point is at infinity on this scale: HdrHistogram's plotter leaves it out too (max is in the table).
        var series = runs.Select(r => r.Latency.Where(p => p.Percentile < 100)
            .Select(p => (X: Math.Min(MaxNines, Nines(p.Percentile)), Y: p.Microseconds / 1000)).ToArray()).ToArray();
        var yMax = NiceCeiling(series.SelectMany(s => s).Select(p => p.Y).DefaultIfEmpty(0).Max());
        var plot = new Plot(0, MaxNines, yMax);
        plot.Open(html, "latency", "Latency by percentile");
        for (var nines = 0; nines <= MaxNines; nines++)
            plot.XTick(html, nines, nines == 0 ? "0%" : (100 - 100 / Math.Pow(10, nines)).ToString("0.#####", C) + "%");
        plot.YTicks(html, v => v.ToString("0.###", C));
        plot.AxisLabels(html, "percentile", "latency (ms)");
        for (var i = 0; i < series.Length; i++)
            plot.Series(html, series[i], Colour(i), runs[i].Label);
        if (series.All(s => s.Length == 0))
            plot.Empty(html, "no latency was measured");
        html.Append("</svg>\n");
    }

    private static void ThroughputPlot(StringBuilder html, IReadOnlyList<ReportRun> runs)
    {
        // Each sample is the rate over its interval, drawn as a step across it (from the previous sample's end).
        var series = runs.Select(r => r.Throughput.SelectMany((s, i) => new[]
        {
            (X: i == 0 ? 0 : r.Throughput[i - 1].Seconds, Y: s.MessageRate), (X: s.Seconds, Y: s.MessageRate),
        }).ToArray()).ToArray();
        var xMax = TickCeiling(Math.Max(series.SelectMany(s => s).Select(p => p.X).DefaultIfEmpty(0).Max(),
            runs.Select(r => r.WarmupSeconds).DefaultIfEmpty(0).Max()));
        var yMax = NiceCeiling(series.SelectMany(s => s).Select(p => p.Y).DefaultIfEmpty(0).Max());
        var plot = new Plot(0, xMax, yMax);
        plot.Open(html, "throughput", "Throughput over the run");
        foreach (var warmup in runs.GroupBy(r => r.WarmupSeconds).Where(g => g.Key > 0))
            plot.Shade(html, warmup.Key, runs.Count == warmup.Count() ? "warm-up" : $"warm-up ({string.Join(", ", warmup.Select(r => r.Label))})");
        foreach (var tick in Ticks(xMax))
            plot.XTick(html, tick, tick.ToString("0.###", C) + " s");
        plot.YTicks(html, v => v.ToString("N0", C));
        plot.AxisLabels(html, "time since the load started", "messages / s");
        for (var i = 0; i < series.Length; i++)
            plot.Series(html, series[i], Colour(i), runs[i].Label);
        if (series.All(s => s.Length == 0))
            plot.Empty(html, "no throughput samples");
        html.Append("</svg>\n");
    }

    private static void Table(StringBuilder html, IReadOnlyList<ReportRun> runs)
    {
        var rows = new List<(string Name, Func<ReportRun, string> Value)>
        {
            ("run", r => r.Kind),
            ("target", r => r.Target),
            ("server address", r => r.Address ?? "?"),
            ("date", r => r.StartedAt is { } at ? Date(at) : "?"),
        };
        foreach (var name in runs.SelectMany(r => r.Parameters.Concat(r.Results)).Select(p => p.Key).Distinct())
            rows.Add((name, r => r.Parameters.Concat(r.Results).FirstOrDefault(p => p.Key == name).Value ?? ""));

        html.Append("<table>\n<tr><th></th>");
        for (var i = 0; i < runs.Count; i++)
            html.Append(C, $"<th><i class=\"swatch\" style=\"background:{Colour(i)}\"></i>{E(runs[i].Label)}</th>");
        html.Append("</tr>\n");
        foreach (var (name, value) in rows)
        {
            html.Append(C, $"<tr><th>{E(name)}</th>");
            foreach (var run in runs)
                html.Append(C, $"<td>{E(value(run))}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    /// <summary>Percentile (0 to 100) as "nines": log10(1/(1-p)); 90 % is 1, 99.9 % is 3.</summary>
    private static double Nines(double percentile) => -Math.Log10(1 - percentile / 100);

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", C);

    private static string Colour(int index) => Colours[index % Colours.Length];

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>The smallest of 1, 2, 2.5, 5 x 10^n at or above <paramref name="value"/> (1 for nothing).</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0)
            return 1;
        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
            if (step * power >= value * 1.0000001)
                return step * power;
        return 10 * power;
    }

    /// <summary>About five round ticks from 0 to <paramref name="max"/> (a nice number).</summary>
    private static IEnumerable<double> Ticks(double max)
    {
        var step = TickStep(max);
        for (var tick = 0.0; tick <= max * 1.0001; tick += step)
            yield return Math.Round(tick, 9);
    }

    /// <summary>A round step (1, 2, 2.5, 5 x 10^n) that cuts 0 to <paramref name="max"/> into about five.</summary>
    private static double TickStep(double max)
    {
        var rough = max / 5;
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(s => s * power).First(s => s >= rough * 0.999);
    }

    /// <summary>The first tick at or above <paramref name="value"/>: the time axis ends soon after the run.</summary>
    private static double TickCeiling(double value)
    {
        if (value <= 0)
            return 1;
        var step = TickStep(value);
        return Math.Ceiling(value / step - 1e-9) * step;
    }

    /// <summary>One SVG plot area: data coordinates to pixels, axes, grid, series.</summary>
    private sealed class Plot(double xMin, double xMax, double yMax)
    {
        private const double InnerWidth = Width - Left - Right, InnerHeight = Height - Top - Bottom;

        private double Px(double x) => Left + (x - xMin) / (xMax - xMin) * InnerWidth;
        private double Py(double y) => Top + InnerHeight - y / yMax * InnerHeight;

        public void Open(StringBuilder html, string id, string title)
        {
            html.Append(C, $"<svg id=\"{id}\" class=\"plot\" role=\"img\" aria-label=\"{E(title)}\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\">\n");
            html.Append(C, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + InnerHeight}\" x2=\"{Left + InnerWidth}\" y2=\"{Top + InnerHeight}\"/>\n");
            html.Append(C, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + InnerHeight}\"/>\n");
        }

        public void XTick(StringBuilder html, double x, string label)
        {
            var px = Px(x);
            html.Append(C, $"<line class=\"grid\" x1=\"{px:0.#}\" y1=\"{Top}\" x2=\"{px:0.#}\" y2=\"{Top + InnerHeight}\"/>");
            html.Append(C, $"<text x=\"{px:0.#}\" y=\"{Top + InnerHeight + 16}\" text-anchor=\"middle\">{E(label)}</text>\n");
        }

        public void YTicks(StringBuilder html, Func<double, string> format)
        {
            foreach (var y in Ticks(yMax))
            {
                var py = Py(y);
                html.Append(C, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{py:0.#}\" x2=\"{Left + InnerWidth}\" y2=\"{py:0.#}\"/>");
                html.Append(C, $"<text x=\"{Left - 6}\" y=\"{py + 4:0.#}\" text-anchor=\"end\">{E(format(y))}</text>\n");
            }
        }

        public void AxisLabels(StringBuilder html, string x, string y)
        {
            html.Append(C, $"<text x=\"{Left + InnerWidth / 2:0.#}\" y=\"{Height - 12}\" text-anchor=\"middle\">{E(x)}</text>\n");
            html.Append(C, $"<text transform=\"translate(16 {Top + InnerHeight / 2:0.#}) rotate(-90)\" text-anchor=\"middle\">{E(y)}</text>\n");
        }

        public void Shade(StringBuilder html, double until, string label)
        {
            var width = Px(Math.Min(until, xMax)) - Left;
            html.Append(C, $"<rect class=\"warmup\" x=\"{Left}\" y=\"{Top}\" width=\"{width:0.#}\" height=\"{InnerHeight}\" fill=\"#f2c94c\" fill-opacity=\"0.18\"/>");
            html.Append(C, $"<text x=\"{Left + 6}\" y=\"{Top + 14}\">{E(label)}</text>\n");
        }

        public void Series(StringBuilder html, IReadOnlyList<(double X, double Y)> points, string colour, string label)
        {
            if (points.Count == 0)
                return;
            var d = new StringBuilder();
            for (var i = 0; i < points.Count; i++)
                d.Append(C, $"{(i == 0 ? "M" : " L")}{Px(points[i].X):0.##},{Py(points[i].Y):0.##}");
            html.Append(C, $"<path class=\"series\" data-label=\"{E(label)}\" d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n");
        }

        public void Empty(StringBuilder html, string message) =>
            html.Append(C, $"<text x=\"{Left + InnerWidth / 2:0.#}\" y=\"{Top + InnerHeight / 2:0.#}\" text-anchor=\"middle\">{E(message)}</text>\n");
    }
}
