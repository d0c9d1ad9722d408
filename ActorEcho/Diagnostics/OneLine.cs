namespace ActorEcho.Diagnostics;

/// <summary>Users get errors as one line: the first line of a library's (often multi-line) message.</summary>
internal static class OneLine
{
    public static string Of(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }
}
