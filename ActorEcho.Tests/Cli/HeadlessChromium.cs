using System.Text.Json;
using ActorEcho.Tests.Tls;
using PuppeteerSharp;

namespace ActorEcho.Tests.Cli;

/// <summary>
/// Opens an HTML file in the system's headless Chromium (Debian's <c>chromium</c>, through PuppeteerSharp; never a
/// downloaded browser) the way a person would open a report, and tells what it drew: every SVG path of class
/// <c>series</c> with its plot, label, number of points and rendered length, the console errors, and every request
/// other than the file itself (a self-contained report makes none). Specs that use it are
/// <c>[ToolFact("chromium")]</c>, skipped visibly where it is not installed.
/// </summary>
internal static class HeadlessChromium
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public sealed record DrawnSeries(string Plot, string Label, int Points, double Length);

    public sealed record Rendering(IReadOnlyList<DrawnSeries> Series, IReadOnlyList<string> ConsoleErrors,
        IReadOnlyList<string> OtherRequests, int WarmupShades, string Title);

    public static async Task<Rendering> RenderAsync(string htmlFile, string? screenshot = null)
    {
        var executable = ToolFactAttribute.FindOnPath("chromium")
                         ?? throw new InvalidOperationException("chromium is not installed");
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Root in a container has no user namespace for Chromium's sandbox.
            Args = ["--no-sandbox", "--disable-gpu"],
            Timeout = (int)Limit.TotalMilliseconds,
        }).WaitAsync(Limit);
        await using var page = await browser.NewPageAsync().WaitAsync(Limit);
        var errors = new List<string>();
        var requests = new List<string>();
        var fileUrl = new Uri(Path.GetFullPath(htmlFile)).AbsoluteUri;
        page.Console += (_, e) =>
        {
            if (e.Message.Type == ConsoleType.Error)
                lock (errors) errors.Add(e.Message.Text);
        };
        page.PageError += (_, e) => { lock (errors) errors.Add(e.Message); };
        page.Request += (_, e) =>
        {
            if (e.Request.Url != fileUrl)
                lock (requests) requests.Add(e.Request.Url);
        };
        await page.SetViewportAsync(new ViewPortOptions { Width = 940, Height = 1200 }).WaitAsync(Limit);
        await page.GoToAsync(fileUrl, new NavigationOptions { WaitUntil = [WaitUntilNavigation.Load], Timeout = (int)Limit.TotalMilliseconds });

        var json = await page.EvaluateExpressionAsync<string>("""
            JSON.stringify({
              title: document.title,
              shades: document.querySelectorAll('svg rect.warmup').length,
              series: [...document.querySelectorAll('svg path.series')].map(p => ({
                plot: p.ownerSVGElement.id,
                label: p.dataset.label,
                points: (p.getAttribute('d').match(/[ML]/g) || []).length,
                length: p.getTotalLength(),
              })),
            })
            """).WaitAsync(Limit);
        if (screenshot is not null)
            await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true }).WaitAsync(Limit);

        using var drawn = JsonDocument.Parse(json);
        var root = drawn.RootElement;
        var series = root.GetProperty("series").EnumerateArray().Select(s => new DrawnSeries(
            s.GetProperty("plot").GetString()!, s.GetProperty("label").GetString()!,
            s.GetProperty("points").GetInt32(), s.GetProperty("length").GetDouble())).ToArray();
        lock (errors)
        lock (requests)
            return new Rendering(series, [.. errors], [.. requests], root.GetProperty("shades").GetInt32(),
                root.GetProperty("title").GetString()!);
    }
}
