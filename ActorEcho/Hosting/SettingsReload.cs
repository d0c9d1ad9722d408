using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using ActorEcho.TcpEcho;
using ActorEcho.Tls;
using ActorEcho.UdpEcho;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace ActorEcho.Hosting;

/// <summary>
/// Reloads a running server's settings (SIGHUP, <see cref="ShutdownSignals.ReloadRequested"/>): re-reads the
/// configuration file it started from with the same strict checks (<see cref="ConfigLoader"/>,
/// <see cref="EchoSettings.Create"/>, the TLS credentials), and either refuses the whole file (one ERROR line, the old
/// settings in force) or puts it in force: <c>akka.loglevel</c> on the event stream, everything else through the
/// listeners (<see cref="EchoProtocol.Reconfigure"/>, <see cref="UdpEchoProtocol.ChangeSettings"/>), which tell their
/// open connections what they adopt. A key that needs a restart (<see cref="ReloadRules"/>) keeps its value, with one
/// WARN line each, and so do the command line's overrides. One reload at a time; a reload never ends the process.
/// </summary>
public sealed class SettingsReload
{
    private static readonly KeyValuePair<string, object?> Ok = new("result", "ok");
    private static readonly KeyValuePair<string, object?> Rejected = new("result", "rejected");

    /// <summary>How long a listener may take to answer; a mailbox is never that far behind.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    private readonly EchoServer _server;
    private readonly string? _configPath;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private Config _config;
    private TlsEchoKind? _tlsKind;

    /// <param name="configPath">The <c>--config</c> path, or null for the default file (as at start).</param>
    /// <param name="config">The configuration the server started from.</param>
    /// <param name="settings">The settings in force, the command line's overrides included.</param>
    public SettingsReload(EchoServer server, string? configPath, Config config, EchoSettings settings)
    {
        _server = server;
        _configPath = configPath;
        _config = config;
        Settings = settings;
        _tlsKind = server.Context.Tls?.Kind;
    }

    /// <summary>The settings in force.</summary>
    public EchoSettings Settings { get; private set; }

    /// <summary>Reloads in the background (the signal's handler must return at once); failures are logged, never thrown.</summary>
    public void Request() => _ = Task.Run(ReloadAsync);

    /// <summary>Reads the file again and puts it in force, or refuses it; waits for a reload under way first.</summary>
    public async Task<ReloadOutcome> ReloadAsync()
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return await ReloadOnceAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong, the process stays up.
            LogFor().Error("Reload failed: {0}: {1}", e.GetType().Name, OneLine.Of(e.Message));
            return ReloadOutcome.Rejected;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<ReloadOutcome> ReloadOnceAsync()
    {
        if (_server.Readiness.Current != ServerReadiness.Stage.Serving)
        {
            if (_server.System.WhenTerminated.IsCompleted)
                Console.Error.WriteLine("actor-echo: reload ignored: the server has stopped");
            else
                LogFor().Warning("Reload ignored: the server is shutting down");
            return ReloadOutcome.Ignored;
        }

        Config loaded;
        EchoSettings effective;
        (EchoSettings Tcp, EchoSettings Tls) bounds;
        IReadOnlyList<ConfigChange> changes;
        TlsEchoKind? tlsKind;
        LogLevel? logLevel;
        try
        {
            loaded = ConfigLoader.Load(_configPath);
            effective = ReloadRules.Effective(EchoSettings.Create(loaded), Settings);
            bounds = WithinDescriptorLimit(effective);
            changes = ReloadRules.Changes(_config, loaded);
            logLevel = changes.Any(change => change.Key == "akka.loglevel") ? LogLevelOf(loaded) : null;
            tlsKind = TlsKindFor(effective, changes);
        }
        catch (SettingsException e)
        {
            LogFor().Error("Reload rejected: {0}", e.Message);
            EchoMetrics.Reloads.Add(1, Rejected);
            return ReloadOutcome.Rejected;
        }

        foreach (var change in changes.Where(change => change.NeedsRestart))
            LogFor().Warning("Reload: {0} changed but needs a restart; keeping {1}", change.Key, change.OldText);
        var applied = changes.Where(change => !change.NeedsRestart).Select(change => change.ToString()).ToList();
        if (tlsKind is not null && _tlsKind is not null && !tlsKind.Credentials.Certificate.RawData.AsSpan()
                .SequenceEqual(_tlsKind.Credentials.Certificate.RawData))
            applied.Add($"TLS certificate: {Describe(_tlsKind.Credentials)} -> {Describe(tlsKind.Credentials)}");

        if (logLevel is { } level)
            _server.System.EventStream.SetLogLevel(level);
        await ApplyAsync(effective, bounds, tlsKind).ConfigureAwait(false);
        _server.Context.ConnectionLimits = EchoHostContext.DescribeLimits(bounds.Tcp.MaxConnections,
            _server.Context.Tls is null ? null : bounds.Tls.MaxConnections);
        _config = loaded;
        Settings = effective;
        _tlsKind = tlsKind;
        EchoMetrics.Reloads.Add(1, Ok);
        if (applied.Count == 0)
        {
            LogFor().Info("Reload: no change");
            return ReloadOutcome.Unchanged;
        }
        LogFor().Info("Reload applied: {0}", string.Join(", ", applied));
        return ReloadOutcome.Applied;
    }

    /// <summary>The listeners' new settings: each answers once it serves with them (its open connections are told).</summary>
    private async Task ApplyAsync(EchoSettings effective, (EchoSettings Tcp, EchoSettings Tls) bounds, TlsEchoKind? tlsKind)
    {
        var echo = _server.Context;
        var answers = new List<Task>
        {
            echo.Listener.Ask<Done>(new EchoProtocol.Reconfigure(bounds.Tcp, ConnectionKind.PlainEcho), AnswerTimeout),
        };
        if (echo.Tls is { } tls && tlsKind is not null)
            answers.Add(tls.Listener.Ask<Done>(new EchoProtocol.Reconfigure(bounds.Tls, tlsKind), AnswerTimeout));
        if (echo.UdpListener is { } udp)
            answers.Add(udp.Ask<Done>(new UdpEchoProtocol.ChangeSettings(effective.Udp), AnswerTimeout));
        await Task.WhenAll(answers).ConfigureAwait(false);
    }

    /// <summary>Each listener's settings under the open-file limit found at start (its limit and reserve kept): a
    /// reload may lower max-connections, never raise it past what the descriptors hold.</summary>
    /// <exception cref="SettingsException">the limit leaves too few connections for the new settings.</exception>
    private (EchoSettings Tcp, EchoSettings Tls) WithinDescriptorLimit(EchoSettings effective)
    {
        if (_server.Context.Descriptors is not { } atStart)
            return (effective, effective);
        var bound = DescriptorBound.For(effective, atStart.Limit, atStart.Reserve);
        return (effective with { MaxConnections = bound.TcpMaxConnections, Descriptors = bound },
            effective with { MaxConnections = bound.TlsMaxConnections, Descriptors = bound });
    }

    /// <summary>The TLS listener's new kind: the files read again (a certificate renewed in place has the same path),
    /// as at start; a self-signed certificate is made again only if a TLS key changed. Null when TLS is off.</summary>
    /// <exception cref="SettingsException">a file does not load, or a key does not match its certificate.</exception>
    private TlsEchoKind? TlsKindFor(EchoSettings effective, IReadOnlyList<ConfigChange> changes)
    {
        var tls = effective.Tls;
        if (tls.BindAddress is not { } address || _tlsKind is null)
            return null;
        var tlsKeysChanged = changes.Any(change => change.Key.StartsWith(TlsSettings.SectionName + ".", StringComparison.Ordinal)
                                                   && change.Key != TlsSettings.SectionName + ".handshake-timeout");
        var credentials = tls.Certificate == TlsSettings.SelfSigned && !tlsKeysChanged
            ? _tlsKind.Credentials
            : TlsServerCredentials.Load(tls, EndpointParser.Split(address).Host);
        return new TlsEchoKind(credentials, tls.HandshakeTimeout);
    }

    private static LogLevel LogLevelOf(Config config)
    {
        var value = config.GetString("akka.loglevel", "").Trim();
        try
        {
            return Logging.LogLevelFor(value);
        }
        catch (ArgumentException)
        {
            throw new SettingsException($"akka.loglevel must be DEBUG, INFO, WARNING or ERROR, got '{value}'");
        }
    }

    private static string Describe(TlsServerCredentials credentials) =>
        $"serial {credentials.Certificate.SerialNumber} ({credentials.Certificate.Subject})";

    /// <summary>A new adapter each time: an adapter keeps the log level in force when it was made.</summary>
    private ILoggingAdapter LogFor() => Logging.GetLogger(_server.System, typeof(SettingsReload));
}
