using System.Net;
using System.Net.Sockets;
using ActorEcho.LoadEngine;
using ActorEcho.Cli;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Cli;

/// <summary>The client's byte handling in process, where the exact output bytes can be seen (the host process's
/// stdout is collected line by line, which hides a missing final newline).</summary>
public sealed class ClientOutputSpec
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task One_shot_output_is_the_echo_byte_for_byte_with_nothing_added()
    {
        byte[] message = [.. "no newline at the end, and a zero: "u8, 0, 0xFF];

        Assert.Equal(message, await SendOnceToAnEchoServerAsync(message));
    }

    [Fact]
    public async Task One_shot_message_larger_than_the_socket_buffers_is_echoed_whole()
    {
        var message = new byte[4 * 1024 * 1024];
        new Random(11).NextBytes(message);

        Assert.Equal(message, await SendOnceToAnEchoServerAsync(message));
    }

    /// <summary>The one-shot client against ActorEcho: what it wrote to its output.</summary>
    private static async Task<byte[]> SendOnceToAnEchoServerAsync(byte[] message)
    {
        await using var server = await InProcessEchoServer.StartAsync();
        using var socket = await Dialer.ConnectAsync(server.LocalEndpoint, Timeout);
        var output = new MemoryStream();

        await ClientCommand.SendOnceAsync(socket, message, output, Timeout, "test");

        return output.ToArray();
    }

    [Fact]
    public async Task Relay_sends_all_input_and_prints_the_whole_echo_after_input_ends()
    {
        await using var server = await InProcessEchoServer.StartAsync();
        using var socket = await Dialer.ConnectAsync(server.LocalEndpoint, Timeout);
        var input = new byte[300_000]; // more than one read, more than the socket buffers
        new Random(7).NextBytes(input);
        var output = new MemoryStream();

        await ClientCommand.RelayAsync(socket, new MemoryStream(input), output, Timeout, "test");

        Assert.Equal(input, output.ToArray());
    }

    [Fact]
    public async Task Relay_reports_a_server_that_closes_before_the_input_ends()
    {
        await using var server = FaultyEchoServer.ClosingAfter(3);
        using var socket = await Dialer.ConnectAsync(IPEndPoint.Parse(server.Address), Timeout);
        using var neverEnding = new BlockingInput();

        var failure = await Assert.ThrowsAsync<EchoFailureException>(() =>
            ClientCommand.RelayAsync(socket, new ConcatInput("abc"u8.ToArray(), neverEnding), new MemoryStream(), Timeout, "test"));

        Assert.Equal(EchoFailureKind.Network, failure.Kind);
    }

    [Fact]
    public async Task Connect_to_a_closed_port_is_a_network_failure()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.Free());

        var failure = await Assert.ThrowsAsync<EchoFailureException>(() => Dialer.ConnectAsync(endpoint, Timeout));

        Assert.Equal(EchoFailureKind.Network, failure.Kind);
        Assert.Contains("refused", failure.Message);
    }

    /// <summary>Input that never ends (a user who keeps the terminal open): reads wait until disposed.</summary>
    private sealed class BlockingInput : AsyncInput
    {
        private readonly CancellationTokenSource _disposed = new();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, _disposed.Token);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            _disposed.Cancel();
            base.Dispose(disposing);
        }
    }

    /// <summary>Some bytes, then whatever <c>rest</c> gives.</summary>
    private sealed class ConcatInput(byte[] first, Stream rest) : AsyncInput
    {
        private bool _firstDone;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_firstDone)
                return rest.ReadAsync(buffer, cancellationToken);
            _firstDone = true;
            first.CopyTo(buffer);
            return ValueTask.FromResult(first.Length);
        }
    }

    /// <summary>Test input that is only read asynchronously, as the client reads stdin; the rest is not supported.</summary>
    private abstract class AsyncInput : Stream
    {
        public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
