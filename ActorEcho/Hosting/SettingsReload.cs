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
using System.Security.Cryptography;

namespace ActorEcho.Hosting;

/// <summary>
/// Reloads a running server's settings (SIGHUP, <see cref="ShutdownSignals.ReloadRequested"/>): re-reads the
/// configuration file it started from with the same strict checks (<see cref="ConfigLoader"/>,
/// <see cref="EchoSettings.Create"/>, the TLS credentials), and either refuses the whole file (one ERROR line, the old
/// settings in force) or puts it in force: <c>akka.loglevel</c> on the event stream, everything else through the
/// listeners (<see cref="EchoProtocol.Reconfigure"/>, <see cref="UdpEchoProtocol.ChangeSettings"/>), which tell their
/// open connections what they adopt. A key that needs a restart (<see cref="ReloadRules"/>) keeps its value, with one
/// WARN line each, and so do the command line's overrides. One reload at a time; a reload never ends the process.
/// With <c>tls.watch-certificates</c> (<see cref="WatchCertificateFiles"/>), a change to the TLS files reads those
/// files alone again (<see cref="ReloadCertificatesAsync"/>), with the rest of the settings as they are.
/// </summary>
public sealed class SettingsReload : IDisposable
{
    private static readonly KeyValuePair<string, object?> Ok = new("result", "ok");
    private static readonly KeyValuePair<string, object?> Rejected = new("result", "rejected");

    /// <summary>How long a listener may take to answer; a mailbox is never that far behind.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The TLS keys whose change leaves the credentials as they are (a self-signed certificate is kept).</summary>
    private static readonly HashSet<string> KeysBesideTheCredentials =
        [TlsSettings.SectionName + ".handshake-timeout", TlsSettings.SectionName + ".watch-certificates"];

    private readonly EchoServer _server;
    private readonly string? _configPath;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private Config _config;
    /// <summary>Guards the watch: started by <c>serve</c>, moved by a reload, ended by <see cref="Dispose"/>.</summary>
    private readonly Lock _watchLock = new();
    private bool _watchAsked;
    private CertificateFileWatcher? _watcher;
    private IReadOnlyList<string> _watchedFiles = [];
    /// <summary>What the TLS files held when last read (<see cref="FilesDigest"/>).</summary>
    private byte[] _filesDigest = [];

    /// <param name="configPath">The <c>--config</c> path, or null for the default file (as at start).</param>
    /// <param name="config">The configuration the server started from.</param>
    /// <param name="settings">The settings in force, the command line's overrides included.</param>
    public SettingsReload(EchoServer server, string? configPath, Config config, EchoSettings settings)
    {
        _server = server;
        _configPath = configPath;
        _config = config;
        Settings = settings;
        _filesDigest = TlsKind is null ? [] : FilesDigest(settings.Tls);
    }

    /// <summary>The settings in force.</summary>
    public EchoSettings Settings { get; private set; }

    /// <summary>The TLS listener's kind of connection in force (its credentials), or null when TLS is off.</summary>
    private TlsEchoKind? TlsKind => _server.Context.Tls?.Kind;

    /// <summary>The directories watched for the TLS files (empty: none; <see cref="WatchCertificateFiles"/>).</summary>
    public IReadOnlyList<string> WatchedDirectories => _watcher?.Directories ?? [];

    /// <summary>Reloads in the background (the signal's handler must return at once); failures are logged, never thrown.</summary>
    public void Request() => _ = Task.Run(ReloadAsync);

    /// <summary>From now on, and after every reload, watches the TLS files in force when <c>tls.watch-certificates</c>
    /// is on (and TLS is, with files); a change reads them again (<see cref="ReloadCertificatesAsync"/>).</summary>
    public void WatchCertificateFiles()
    {
        lock (_watchLock)
        {
            _watchAsked = true;
            Rewatch(Settings.Tls);
        }
    }

    public void Dispose()
    {
        lock (_watchLock)
        {
            _watchAsked = false;
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    /// <summary>Reads the TLS files in force again, their paths and every other setting unchanged, and gives them to
    /// new handshakes if their content changed; refused like a reload's if they do not load or do not match. Waits
    /// for a reload under way first.</summary>
    public Task<ReloadOutcome> ReloadCertificatesAsync() => OneAtATimeAsync(ReloadCertificatesOnceAsync, "Certificate reload");

    /// <summary>Reads the file again and puts it in force, or refuses it; waits for a reload under way first.</summary>
    public Task<ReloadOutcome> ReloadAsync() => OneAtATimeAsync(ReloadOnceAsync, "Reload");

    /// <summary>Runs <paramref name="reload"/> once any reload under way has finished. Whatever goes wrong, the process
    /// stays up: one ERROR line starting with <paramref name="what"/>.</summary>
    private async Task<ReloadOutcome> OneAtATimeAsync(Func<Task<ReloadOutcome>> reload, string what)
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return await reload().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFor().Error("{0} failed: {1}: {2}", what, e.GetType().Name, OneLine.Of(e.Message));
            return ReloadOutcome.Rejected;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<ReloadOutcome> ReloadCertificatesOnceAsync()
    {
        if (!IsServing())
            return ReloadOutcome.Ignored;
        if (_server.Context.Tls is not { } tls || !HasCertificateFiles(Settings.Tls))
            return ReloadOutcome.Unchanged;
        var digest = FilesDigest(Settings.Tls);
        if (digest.AsSpan().SequenceEqual(_filesDigest))
            return ReloadOutcome.Unchanged; // touched, or a neighbour changed: nothing to read
        TlsEchoKind? kind;
        try
        {
            kind = TlsKindFor(Settings, []);
        }
        catch (SettingsException e)
        {
            LogFor().Error("Certificate reload rejected: {0}", e.Message);
            return Counted(ReloadRecord.CertificateFiles, ReloadOutcome.Rejected);
        }

        if (kind is null)
            return ReloadOutcome.Unchanged;
        await tls.Listener.Ask<Done>(new EchoProtocol.Reconfigure(WithinDescriptorLimit(Settings).Tls, kind), AnswerTimeout)
            .ConfigureAwait(false);
        InForce(kind);
        _filesDigest = digest;
        LogFor().Info("Reload applied (certificate files changed): TLS certificate: {0} -> {1}",
            Describe(tls.Kind.Credentials), Describe(kind.Credentials));
        return Counted(ReloadRecord.CertificateFiles, ReloadOutcome.Applied);
    }

    private async Task<ReloadOutcome> ReloadOnceAsync()
    {
        if (!IsServing())
            return ReloadOutcome.Ignored;

        Config loaded;
        EchoSettings effective;
        (EchoSettings Tcp, EchoSettings Tls) bounds;
        IReadOnlyList<ConfigChange> changes;
        TlsEchoKind? tlsKind;
        LogLevel? logLevel;
        byte[] filesDigest;
        try
        {
            loaded = ConfigLoader.Load(_configPath);
            effective = ReloadRules.Effective(EchoSettings.Create(loaded), Settings);
            bounds = WithinDescriptorLimit(effective);
            changes = ReloadRules.Changes(_config, loaded);
            logLevel = changes.Any(change => change.Key == "akka.loglevel") ? LogLevelOf(loaded) : null;
            // Before the files are read: a change while they are read is then seen as one by the watch.
            filesDigest = FilesDigest(effective.Tls);
            tlsKind = TlsKindFor(effective, changes);
        }
        catch (SettingsException e)
        {
            LogFor().Error("Reload rejected: {0}", e.Message);
            return Counted(ReloadRecord.Signal, ReloadOutcome.Rejected);
        }

        foreach (var change in changes.Where(change => change.NeedsRestart))
            LogFor().Warning("Reload: {0} changed but needs a restart; keeping {1}", change.Key, change.OldText);
        var applied = changes.Where(change => !change.NeedsRestart).Select(change => change.ToString()).ToList();
        if (tlsKind is not null && TlsKind is { } inForce && !tlsKind.Credentials.Certificate.RawData.AsSpan()
                .SequenceEqual(inForce.Credentials.Certificate.RawData))
            applied.Add($"TLS certificate: {Describe(inForce.Credentials)} -> {Describe(tlsKind.Credentials)}");

        if (logLevel is { } level)
            _server.System.EventStream.SetLogLevel(level);
        await ApplyAsync(effective, bounds, tlsKind).ConfigureAwait(false);
        _server.Context.ConnectionLimits = EchoHostContext.DescribeLimits(bounds.Tcp.MaxConnections,
            _server.Context.Tls is null ? null : bounds.Tls.MaxConnections);
        _config = loaded;
        Settings = effective;
        InForce(tlsKind);
        _filesDigest = filesDigest;
        lock (_watchLock)
            Rewatch(effective.Tls);
        if (applied.Count == 0)
        {
            LogFor().Info("Reload: no change");
            return Counted(ReloadRecord.Signal, ReloadOutcome.Unchanged);
        }
        LogFor().Info("Reload applied: {0}", string.Join(", ", applied));
        return Counted(ReloadRecord.Signal, ReloadOutcome.Applied);
    }

    /// <summary>Records <paramref name="kind"/>, which the TLS listener now gives new handshakes, in the host's context
    /// (<see cref="TlsKind"/>, the status page) and on the expiry gauge. Null: TLS is off.</summary>
    private void InForce(TlsEchoKind? kind)
    {
        if (kind is null || _server.Context.Tls is not { } tls)
            return;
        _server.Context.Tls = (tls.Listener, kind);
        EchoMetrics.SetTlsCertificate(kind.Credentials.Certificate);
    }

    /// <summary>Counts a reload that read the files (<c>actorecho.reloads</c>) and records it for the status page.</summary>
    private ReloadOutcome Counted(string trigger, ReloadOutcome outcome)
    {
        var result = outcome == ReloadOutcome.Rejected ? Rejected : Ok;
        EchoMetrics.Reloads.Add(1, result);
        _server.Context.LastReload = new ReloadRecord(DateTimeOffset.UtcNow, trigger, (string)result.Value!);
        return outcome;
    }

    /// <summary>Whether the server serves: before that, and from the first moment of shutdown, a reload is ignored.</summary>
    private bool IsServing()
    {
        if (_server.Readiness.Current == ServerReadiness.Stage.Serving)
            return true;
        if (_server.System.WhenTerminated.IsCompleted)
            Console.Error.WriteLine("actor-echo: reload ignored: the server has stopped");
        else
            LogFor().Warning("Reload ignored: the server is shutting down");
        return false;
    }

    /// <summary>Watches <paramref name="tls"/>'s files if asked to and on, replacing a watch on other files; a
    /// system that refuses the watch leaves SIGHUP as the way, with one WARN line. Under <see cref="_watchLock"/>.</summary>
    private void Rewatch(TlsSettings tls)
    {
        var files = _watchAsked && HasCertificateFiles(tls) ? tls.WatchedFiles : [];
        if (_watcher is not null && files.SequenceEqual(_watchedFiles))
            return;
        _watcher?.Dispose();
        _watcher = null;
        _watchedFiles = files;
        if (files.Count == 0)
            return;
        try
        {
            _watcher = new CertificateFileWatcher(files, () => _ = Task.Run(ReloadCertificatesAsync));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogFor().Warning("The TLS files are not watched ({0}); SIGHUP still reloads them", OneLine.Of(e.Message));
        }
    }

    /// <summary>TLS is on with a certificate read from a file (not made at start), and the files are to be watched.</summary>
    private bool HasCertificateFiles(TlsSettings tls) =>
        TlsKind is not null && tls.WatchCertificates && tls.Certificate != TlsSettings.SelfSigned;

    /// <summary>SHA-256 over the TLS files' contents, in order; a file that cannot be read counts as changed (its
    /// reload then says why).</summary>
    private static byte[] FilesDigest(TlsSettings tls)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in tls.WatchedFiles)
        {
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception e) when (FileErrors.IsUnreadable(e))
            {
                hash.AppendData(Guid.NewGuid().ToByteArray());
            }
        }
        return hash.GetHashAndReset();
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
        if (tls.BindAddress is not { } address || TlsKind is not { } inForce)
            return null;
        var tlsKeysChanged = changes.Any(change => change.Key.StartsWith(TlsSettings.SectionName + ".", StringComparison.Ordinal)
                                                   && !KeysBesideTheCredentials.Contains(change.Key));
        var credentials = tls.Certificate == TlsSettings.SelfSigned && !tlsKeysChanged
            ? inForce.Credentials
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
