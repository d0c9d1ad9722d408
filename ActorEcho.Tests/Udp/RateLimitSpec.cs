using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Edge;
using ActorEcho.Limits;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>The plain parts of the UDP safety limits: token bucket, per-source table, port filter, drop log.</summary>
public sealed class RateLimitSpec
{
    [Fact]
    public void A_bucket_lets_one_second_of_packets_through_at_once_then_refills_at_its_rate()
    {
        var time = new ManualTime();
        var bucket = new TokenBucket(10, 1_000_000, time.TimestampFrequency, time.GetTimestamp());

        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => bucket.TryTake(1, time.GetTimestamp())));
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal(3, Enumerable.Range(0, 50).Count(_ => bucket.TryTake(1, time.GetTimestamp())));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => bucket.TryTake(1, time.GetTimestamp())));
    }

    [Fact]
    public void A_bucket_limits_bytes_too_and_a_refused_datagram_takes_nothing()
    {
        var time = new ManualTime();
        var bucket = new TokenBucket(1000, 3000, time.TimestampFrequency, time.GetTimestamp());

        Assert.True(bucket.TryTake(2000, time.GetTimestamp()));
        Assert.False(bucket.TryTake(1001, time.GetTimestamp())); // 1000 bytes left
        Assert.True(bucket.TryTake(1000, time.GetTimestamp()));  // the refusal took nothing
        Assert.False(bucket.TryTake(1, time.GetTimestamp()));
        time.Advance(TimeSpan.FromMilliseconds(100));           // +300 bytes
        Assert.True(bucket.TryTake(300, time.GetTimestamp()));
        Assert.False(bucket.TryTake(1, time.GetTimestamp()));
    }

    [Fact]
    public void A_bucket_is_full_again_only_after_refilling_completely()
    {
        var time = new ManualTime();
        var bucket = new TokenBucket(10, 10_000, time.TimestampFrequency, time.GetTimestamp());
        Assert.True(bucket.IsFullAt(time.GetTimestamp()));
        bucket.TryTake(1000, time.GetTimestamp());
        Assert.False(bucket.IsFullAt(time.GetTimestamp()));
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(bucket.IsFullAt(time.GetTimestamp()));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.IsFullAt(time.GetTimestamp()));
    }

    [Fact]
    public void Each_source_address_has_its_own_bucket_whatever_its_port()
    {
        var time = new ManualTime();
        var limiter = new SourceRateLimiter(5, 1_000_000, 100, time);
        var flooder = IPAddress.Parse("192.0.2.1");
        var other = IPAddress.Parse("192.0.2.2");

        Assert.Equal(5, Enumerable.Range(0, 100).Count(_ => limiter.TryTake(flooder, 10) == SourceRateLimiter.Verdict.Allowed));
        Assert.Equal(SourceRateLimiter.Verdict.OverRate, limiter.TryTake(flooder, 10));
        Assert.Equal(5, Enumerable.Range(0, 5).Count(_ => limiter.TryTake(other, 10) == SourceRateLimiter.Verdict.Allowed));
    }

    [Fact]
    public void The_table_of_sources_stays_bounded_under_spoofed_sources_and_forgets_only_refilled_ones()
    {
        var time = new ManualTime();
        var limiter = new SourceRateLimiter(2, 1_000_000, 100, time);
        var busy = IPAddress.Parse("198.51.100.1");
        limiter.TryTake(busy, 10);
        limiter.TryTake(busy, 10); // empty: over the rate from now on

        var refused = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var spoofed = new IPAddress(BitConverter.GetBytes(0x0A000000 + i));
            if (limiter.TryTake(spoofed, 10) == SourceRateLimiter.Verdict.TableFull)
                refused++;
        }
        Assert.Equal(100, limiter.Count);
        Assert.Equal(10_000 - 99, refused);

        // A sweep forgets nobody whose bucket is not yet full again...
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(SourceRateLimiter.Verdict.TableFull, limiter.TryTake(IPAddress.Parse("203.0.113.9"), 10));
        // ...and, once buckets have refilled, makes room; the busy source, forgotten too, starts afresh with a full bucket.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SourceRateLimiter.Verdict.Allowed, limiter.TryTake(IPAddress.Parse("203.0.113.9"), 10));
        Assert.True(limiter.Count <= 100);
    }

    [Fact]
    public void The_port_filter_reads_numbers_and_ranges()
    {
        var filter = SourcePortFilter.Parse(["0-1023", "1900", " 11211 "]);
        foreach (var port in new[] { 0, 7, 13, 17, 19, 37, 53, 123, 1023, 1900, 11211 })
            Assert.True(filter.IsRefused(port), $"port {port}");
        foreach (var port in new[] { 1024, 1899, 1901, 40000, 65535 })
            Assert.False(filter.IsRefused(port), $"port {port}");
        Assert.True(filter.IsRefused(-1));
        Assert.True(filter.IsRefused(65536));
    }

    [Theory]
    [InlineData("70000")]
    [InlineData("10-5")]
    [InlineData("x")]
    [InlineData("1-")]
    [InlineData("")]
    public void The_port_filter_refuses_what_is_not_a_port(string entry)
    {
        var error = Assert.Throws<FormatException>(() => SourcePortFilter.Parse([entry]));
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_default_refused_ports_include_the_loop_and_reflector_ports()
    {
        var filter = new UdpEchoSettings().RefusedSourcePorts;
        foreach (var port in new[] { 0, 7, 13, 17, 19, 37, 53, 69, 111, 123, 137, 161, 389, 520, 1434, 1900, 3283, 3702, 5353, 5683, 10001, 11211, 27015, 27960 })
            Assert.True(filter.IsRefused(port), $"port {port}");
        Assert.False(filter.IsRefused(32768));
        Assert.False(filter.IsRefused(60999));
    }

    [Fact]
    public void The_drop_log_writes_at_most_one_line_per_interval_and_sums_up_the_rest()
    {
        var time = new ManualTime();
        var lines = new List<string>();
        var log = new DropLog(TimeSpan.FromSeconds(10), time, lines.Add);

        for (var i = 0; i < 10_000; i++)
            log.Dropped(i % 2 == 0 ? "source-rate" : "refused-port", "192.0.2.1:19");
        Assert.Single(lines);
        time.Advance(TimeSpan.FromSeconds(10));
        log.Dropped("too-large", "192.0.2.7:40000");
        Assert.Equal(2, lines.Count);
        Assert.Contains("5000 refused-port", lines[1]);
        Assert.Contains("4999 source-rate", lines[1]);
        Assert.Contains("1 too-large", lines[1]);
        Assert.Contains("192.0.2.7:40000", lines[1]);
        log.Flush();
        Assert.Equal(2, lines.Count); // nothing left to sum up
    }
}
