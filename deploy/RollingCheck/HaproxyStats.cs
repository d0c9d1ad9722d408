namespace ActorEcho.RollingCheck;

/// <summary>Reads a server's status from HAProxy's stats page in CSV (<c>stats uri</c>, then <c>;csv</c>).</summary>
internal static class HaproxyStats
{
    public static async Task<int> WaitAsync(Uri statsUrl, string backend, string server, string status, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var csvUrl = new Uri(statsUrl.ToString().TrimEnd('/') + "/;csv");
        var deadline = DateTime.UtcNow + timeout;
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = Status(await http.GetStringAsync(csvUrl), backend, server);
                if (string.Equals(last, status, StringComparison.OrdinalIgnoreCase))
                    return 0;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            // HAProxy's own checks run every few hundred ms: polling its page is the only way to see their result.
            await Task.Delay(100);
        }
        Console.Error.WriteLine($"rolling-check: {backend}/{server} not {status} within {timeout.TotalSeconds:0} s (last: {last})");
        return 1;
    }

    /// <summary>The <c>status</c> column of the row (pxname, svname) = (backend, server), e.g. "UP", "DOWN 1/2".</summary>
    private static string? Status(string csv, string backend, string server)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var column = Array.IndexOf(header, "status");
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length > column && fields[0] == backend && fields[1] == server)
                return fields[column];
        }
        return null;
    }
}
