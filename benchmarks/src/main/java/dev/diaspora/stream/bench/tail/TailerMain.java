package dev.diaspora.stream.bench.tail;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.child.ParentWatchdog;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.threads.Pauser;
import net.openhft.chronicle.wire.DocumentContext;
import org.HdrHistogram.Histogram;

/**
 * The tailing side of {@link TailLatencyBenchmark}, in a child JVM: tails a {@code files} topic with a consumer, or a
 * Chronicle Queue with a tailer and a {@link Pauser}, from the start. Every record holds a sequence number and the
 * appender's {@link System#nanoTime()} just before the append (on Linux both processes read the same monotonic
 * clock); the latency of each is taken at receipt. Sequence numbers below the warm-up count are not recorded; a
 * negative one ends the measure: the child prints {@code RESULT n p50 p99 p99.9 max} (microseconds), then keeps
 * tailing, idle, until its standard input closes (the parent ended).
 *
 * <p>Thread safety: a program; one thread tails.
 */
final class TailerMain {
    static final String FLAG = "--tail";
    static final String FILES = "files";
    static final String CHRONICLE = "chronicle";
    static final String TOPIC = "tail";

    private final Histogram latency = new Histogram(3);
    private final long warmup;

    private TailerMain(long warmup) {
        this.warmup = warmup;
    }

    /** {@code --tail files|chronicle DIR WARMUP [PAUSER]}. */
    static void run(String[] args) throws Exception {
        ParentWatchdog.start();
        TailerMain t = new TailerMain(Long.parseLong(args[3]));
        Path dir = Path.of(args[2]);
        if (args[1].equals(FILES)) {
            t.tailFiles(dir);
        } else {
            t.tailChronicle(dir, pauser(args.length > 4 ? args[4] : "balanced"));
        }
    }

    static Pauser pauser(String name) {
        return switch (name) {
            case "busy" -> Pauser.busy();
            case "balanced" -> Pauser.balanced();
            case "sleepy" -> Pauser.sleepy();
            case "millis" -> Pauser.millis(1);
            default -> throw new IllegalArgumentException("--chronicle-pauser takes busy, balanced, sleepy or millis"
                    + " (Chronicle's Pauser factories), got " + name);
        };
    }

    private void tailFiles(Path root) throws Exception {
        try (Driver d = Driver.open(FILES, Metadata.of("{\"root_path\":\"" + root + "\"}"));
                TopicHandle topic = d.openTopic(TOPIC);
                Consumer c = topic.consumer(ConsumerOptions.named("tailer").targets(0).startAt(StartAt.EARLIEST))) {
            System.out.println("READY");
            System.out.flush();
            while (true) {
                Event e = c.pull().get();
                long now = System.nanoTime();
                ByteBuffer b = ByteBuffer.wrap(e.data().toByteArray());
                e.acknowledge();
                record(b.getLong(), b.getLong(), now);
            }
        }
    }

    private void tailChronicle(Path dir, Pauser pauser) {
        try (ChronicleQueue q = SingleChronicleQueueBuilder.binary(dir.toFile()).blockSize(64L << 20).build();
                ExcerptTailer tailer = q.createTailer()) {
            System.out.println("READY");
            System.out.flush();
            while (true) {
                boolean read = false;
                long seq = 0;
                long sent = 0;
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (dc.isPresent()) {
                        Bytes<?> b = dc.wire().bytes();
                        seq = b.readLong();
                        sent = b.readLong();
                        read = true;
                    }
                }
                if (read) {
                    long now = System.nanoTime();
                    pauser.reset();
                    record(seq, sent, now);
                } else {
                    pauser.pause();
                }
            }
        }
    }

    private void record(long seq, long sent, long now) {
        if (seq < 0) {
            System.out.printf(Locale.ROOT, "RESULT %d %.1f %.1f %.1f %.1f%n", latency.getTotalCount(),
                    latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(99) / 1e3,
                    latency.getValueAtPercentile(99.9) / 1e3, latency.getMaxValue() / 1e3);
            System.out.flush();
        } else if (seq >= warmup) {
            latency.recordValue(Math.max(0, now - sent));
        }
    }
}
