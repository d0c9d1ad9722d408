using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ActorEcho.Hosting;

/// <summary>
/// <c>GET /</c>: the status page, one HTML file (<c>Hosting/StatusPage.html</c>, embedded in the assembly) with its
/// CSS and a small script of its own inline, which fetches <c>/status.json</c> (<see cref="StatusBoard"/>) every two
/// seconds and redraws. Nothing external: its Content-Security-Policy allows only its own inline style and script
/// (by hash) and requests to this endpoint, so a stray URL would fail in the browser rather than leak.
/// </summary>
public static partial class StatusPage
{
    private const string ResourceName = "ActorEcho.Hosting.StatusPage.html";

    /// <summary>The page as served.</summary>
    public static ReadOnlyMemory<byte> Bytes => Page.Value.Html;

    private static readonly Lazy<(byte[] Html, string Policy)> Page = new(Load);

    public static async Task WriteAsync(HttpContext context)
    {
        var (html, policy) = Page.Value;
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = html.Length;
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = policy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        await response.Body.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
    }

    private static (byte[], string) Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"the embedded {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html = reader.ReadToEnd();
        var policy = $"default-src 'none'; connect-src 'self'; img-src data:; style-src {Hash(StyleElement(), html)}; "
                     + $"script-src {Hash(ScriptElement(), html)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return (Encoding.UTF8.GetBytes(html), policy);
    }

    /// <summary>The CSP source for the one element's content that <paramref name="element"/> finds.</summary>
    private static string Hash(Regex element, string html)
    {
        var content = element.Match(html).Groups["content"].Value;
        return $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(content)))}'";
    }

    [GeneratedRegex(@"<style>(?<content>.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleElement();

    [GeneratedRegex(@"<script>(?<content>.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptElement();
}
