package dev.diaspora.stream.bench.programs;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Java port of {@code diaspora-consumer-benchmark}. Timed from consumer creation until {@code -n} events were
 * received. Unlike C++ (where they are ignored), {@code -i} (data interest: the fraction of events whose data is
 * fetched) and {@code -s} (selectivity: the fraction of each fetched event's bytes, as a sub-view of its start) are
 * applied through a {@link DataSelector}, and the bytes actually delivered are reported. The run also ends, with the
 * events received so far, if no event arrives for {@code --idle-timeout} seconds (C++ waits forever).
 */
public final class ConsumerBenchmark {
    static final String[] SPEC = {"d|driver", "c|driver-config", "t|topic", "n|num-events", "p|num-threads",
        "s|data-selectivity", "i|data-interest", "json!", "idle-timeout", "name", "recycle!", "h|help!"};

    private ConsumerBenchmark() {
    }

    public static void main(String[] argv) {
        ProgramMain.exit(argv, ConsumerBenchmark::run, usage());
    }

    /** {rchar, read_bytes} from /proc/self/io, or null where it does not exist (not Linux). */
    static long[] procIo() {
        try {
            long[] r = new long[2];
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/io"))) {
                if (line.startsWith("rchar:")) {
                    r[0] = Long.parseLong(line.substring(6).trim());
                } else if (line.startsWith("read_bytes:")) {
                    r[1] = Long.parseLong(line.substring(11).trim());
                }
            }
            return r;
        } catch (Exception e) {
            return null;
        }
    }

    /** @return the one-line synopsis, the C++ tool's options first */
    public static String usage() {
        return "usage: ConsumerBenchmark -d DRIVER -t TOPIC [-c JSON|FILE] [-n 1000] [-p 1] [-s 1.0] [-i 1.0] "
                + "[--json] [--idle-timeout 5] [--name benchmark-consumer] [--recycle]";
    }

    /** @return one line per option: the names, then what it does and its default */
    public static String[] optionHelp() {
        return new String[] {
            "-d, --driver NAME          driver (required)",
            "-c, --driver-config JSON   driver options: JSON object or file ({})",
            "-t, --topic NAME           topic (required)",
            "-n, --num-events N         events to receive (1000; suffixes k K m M)",
            "-p, --num-threads N        reported only, as C++ takes it: a consumer has no pool (1)",
            "-s, --data-selectivity F   fraction of each fetched event's data (1)",
            "-i, --data-interest F      fraction of events whose data is fetched (1)",
            "--json                     results as one JSON document",
            "--idle-timeout SECONDS     stop when no event comes for so long (5)",
            "--name NAME                consumer name (benchmark-consumer)",
            "--recycle                  batch poll of up to 1024 events with ConsumerOptions.recycleEvents: events"
                    + " valid during the call only, reused after it (off: one poll per event, events kept)",
        };
    }

    /**
     * Receives up to {@code n} events by batch polls of a consumer opened with {@code recycleEvents}: each event is
     * counted during its call (it is reused afterwards); its latency is the wait from the start of its call.
     *
     * @return {events received, data bytes, metadata bytes}
     */
    private static long[] drainRecycled(Consumer consumer, long n, Duration idle, Histogram h, AtomicLong progress) {
        long[] got = new long[3];
        while (got[0] < n) {
            long t0 = System.nanoTime();
            int k = consumer.poll(ev -> {
                h.recordValue(Math.min(System.nanoTime() - t0, 60_000_000_000L));
                got[0]++;
                got[1] += ev.data().size();
                got[2] += ev.metadata().size();
            }, (int) Math.min(1024, n - got[0]), idle);
            progress.lazySet(got[0]);
            if (k == 0) {
                System.err.println("no event for " + idle + "; stopping after " + got[0] + " events");
                break;
            }
            if (k < 0) {
                break;
            }
        }
        return got;
    }

    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a = Args.parse(argv, SPEC);
        if (a.has("help")) {
            out.println(usage());
            out.println(String.join(System.lineSeparator(), optionHelp()));
            return 0;
        }
        String driverName = a.required("driver");
        String topic = a.required("topic");
        String config = Args.driverConfig(a.str("driver-config", null));
        long n = a.longValue("num-events", 1000);
        int p = a.intValue("num-threads", 1);
        double selectivity = a.fraction("data-selectivity", 1.0);
        double interest = a.fraction("data-interest", 1.0);
        Duration idle = Duration.ofMillis((long) (Double.parseDouble(a.str("idle-timeout", "5")) * 1000));
        boolean json = a.has("json");
        boolean recycle = a.has("recycle");

        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("Driver", driverName);
        opts.put("Driver config", config.replaceAll("\\s+", " "));
        opts.put("Topic", topic);
        opts.put("Number of events", n);
        opts.put("Number of threads", p);
        opts.put("Data selectivity", selectivity);
        opts.put("Data interest", interest);
        if (recycle) {
            opts.put("Recycled events", true);
        }

        AtomicLong seen = new AtomicLong();
        AtomicLong available = new AtomicLong();
        DataSelector selector = (md, d) -> {
            long k = seen.getAndIncrement();
            available.addAndGet(d.size());
            // event k is of interest when floor((k+1)*i) > floor(k*i): exactly a fraction i, evenly spread
            if (Math.floor((k + 1) * interest) <= Math.floor(k * interest)) {
                return DataDescriptor.NONE;
            }
            long size = (long) Math.floor(d.size() * selectivity);
            return size == d.size() ? d : d.makeSubView(0, size);
        };

        Histogram h = Report.newHistogram();
        long received = 0;
        long bytes = 0;
        long metaBytes = 0;
        long start;
        long end;
        AtomicLong progressCount = new AtomicLong();
        long[] io0 = procIo();
        try (Driver driver = Driver.open(driverName, Metadata.of(config))) {
            // -p is reported, not used: the consumer's selector runs on its fetch thread (a Java consumer has no pool)
            try (TopicHandle th = driver.openTopic(topic)) {
                Thread progress = Report.progress("consumer", n, progressCount::get);
                start = System.nanoTime();
                try (Consumer consumer = th.consumer(ConsumerOptions.named(a.str("name", "benchmark-consumer"))
                        .startAt(StartAt.EARLIEST).dataSelector(selector).recycleEvents(recycle))) {
                    if (recycle) {
                        long[] got = drainRecycled(consumer, n, idle, h, progressCount);
                        received = got[0];
                        bytes = got[1];
                        metaBytes = got[2];
                    }
                    while (!recycle && received < n) {
                        long t0 = System.nanoTime();
                        Optional<Event> e = consumer.poll(idle);
                        if (e.isEmpty()) {
                            System.err.println("no event for " + idle + "; stopping after " + received + " events");
                            break;
                        }
                        h.recordValue(Math.min(System.nanoTime() - t0, 60_000_000_000L));
                        Event ev = e.get();
                        received++;
                        progressCount.lazySet(received);
                        if (ev.isNoMoreEvents()) {
                            continue;
                        }
                        bytes += ev.data().size();
                        metaBytes += ev.metadata().size();
                    }
                    end = System.nanoTime();
                }
                progress.interrupt();
            }
        }
        long[] io1 = procIo();
        Map<String, Object> extra = new LinkedHashMap<>();
        if (io0 != null && io1 != null) {
            // what this process asked the OS for: read syscalls (rchar, page cache included) and storage (read_bytes)
            extra.put("OS rchar bytes", io1[0] - io0[0]);
            extra.put("OS read_bytes", io1[1] - io0[1]);
        }
        extra.put("Data bytes available", available.get());
        extra.put("Data bytes read", bytes);
        extra.put("Data fraction read", available.get() == 0 ? 0.0 : (double) bytes / available.get());
        extra.put("Metadata bytes", metaBytes);
        Report.print(out, json, opts, (end - start) / 1e9, received, bytes + metaBytes, h, extra);
        return received == n ? 0 : 1;
    }
}
