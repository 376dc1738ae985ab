package dev.diaspora.stream.ctl;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl consume}: prints events, one line each, and acknowledges what it printed.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "consume", mixinStandardHelpOptions = true, description = {"Print events, one per line, and "
    + "acknowledge them under the consumer name, so that the next 'consume' with that name resumes after them.", "",
    "--format json (default): {\"partition\":P,\"id\":N,\"timestamp\":\"ISO-8601\",\"metadata\":{...}} plus "
        + "\"data_size\" and \"data\" (base64) with --data base64, or \"data_size\" and \"data_file\" with "
        + "--data dir:PATH (data written to PATH/<partition>-<id>.bin).",
    "--format raw: the metadata only; a JSON string is printed bare (the inverse of 'produce --format raw').",
    "Without --follow it stops at the end of each partition as it was when it started; with --follow it waits for "
        + "new events until SIGINT/SIGTERM. Positions are committed on exit; stdout is flushed before an event is "
        + "acknowledged."})
final class ConsumeCommand extends CtlCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumeCommand.class);
    private static final int ACK_EVERY = 256;
    private static final Duration ASSIGNMENT_WAIT = Duration.ofSeconds(10);

    enum Format { json, raw }

    @Mixin
    DriverOptions driver;

    @Option(names = {"-t", "--topic"}, required = true, paramLabel = "TOPIC", description = "Topic to read.")
    String topicName;

    @Option(names = {"-n", "--name"}, required = true, paramLabel = "NAME",
            description = "Consumer name: its stored positions are where reading resumes.")
    String name;

    @Option(names = "--from", paramLabel = "POSITION", defaultValue = "earliest", converter = StartAtConverter.class,
            description = "Where partitions without a stored position start: earliest, latest, id:N or "
                    + "time:ISO-8601 (default: ${DEFAULT-VALUE}).")
    StartAt from;

    @Option(names = "--reset", description = "Move the name's stored positions to --from first (do not run it while "
            + "another consumer of the name is live).")
    boolean reset;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "Stop after N events.")
    Long count;

    @Option(names = {"-f", "--follow"}, description = "Keep waiting for new events until SIGINT/SIGTERM.")
    boolean follow;

    @Option(names = "--data", paramLabel = "MODE", defaultValue = "none",
            description = "none (metadata only; data is not read), base64, or dir:PATH (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "json or raw (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--no-ack", description = "Do not acknowledge: the stored positions do not move.")
    boolean noAck;

    ConsumeCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    Set<String> dottedPrefixes() {
        return Set.of("driver");
    }

    /**
     * Parses {@code --from} and {@code --to} with {@link StartAt#parse}, also accepting for {@code time:} any ISO-8601
     * date-time with an offset, seconds optional ({@code time:2026-01-01T00:00Z}, {@code time:2026-01-01T08:00+08:00}),
     * which {@code Instant.parse} refuses.
     */
    static final class StartAtConverter implements ITypeConverter<StartAt> {
        @Override
        public StartAt convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }

        /** @throws IllegalArgumentException naming the accepted forms */
        static StartAt parse(String value) {
            try {
                return StartAt.parse(value);
            } catch (IllegalArgumentException e) {
                String t = value.trim();
                if (t.regionMatches(true, 0, "time:", 0, 5)) {
                    try {
                        return StartAt.time(java.time.OffsetDateTime.parse(t.substring(5)).toInstant());
                    } catch (java.time.format.DateTimeParseException ignored) {
                        // report StartAt's message
                    }
                }
                throw e;
            }
        }
    }

    @Override
    int execute() throws IOException, InterruptedException {
        Path dataDir = null;
        boolean base64 = false;
        if (data.equals("base64")) {
            base64 = true;
        } else if (data.startsWith("dir:") && data.length() > 4) {
            dataDir = Path.of(data.substring(4));
            Files.createDirectories(dataDir);
        } else if (!data.equals("none")) {
            throw new UsageException("invalid value '" + data
                    + "' for option '--data': expected none, base64 or dir:PATH");
        }
        if (count != null && count < 0) {
            throw new UsageException("invalid value " + count + " for option '--count': expected a number >= 0");
        }
        ConsumerOptions options = ConsumerOptions.named(name).startAt(from);
        if (!base64 && dataDir == null) {
            options = options.dataSelector(DataSelector.NONE);
        }
        PrintStream out = ctx.out();
        try (StopSignal stop = StopSignal.install(ctx); Driver d = driver.open(ctx);
                TopicHandle topic = d.openTopic(topicName)) {
            if (reset) {
                topic.resetPositions(name, from);
                LOG.info("Positions of '{}' on topic '{}' reset to {}", name, topicName, from);
            }
            long printed = 0;
            try (Consumer consumer = topic.consumer(options)) {
                // the end of each partition as it is now; partitions are those assigned to this consumer, which
                // drivers with dynamic groups (Kafka) may assign after the consumer opens
                long[] end = new long[topic.partitions().size()];
                for (int p = 0; p < end.length; p++) {
                    end[p] = topic.bounds(p).next();
                }
                Map<Integer, Long> next = new HashMap<>();
                long assignDeadline = System.nanoTime() + ASSIGNMENT_WAIT.toNanos();
                Map<Integer, Event> unacked = new HashMap<>();
                try {
                    while (!stop.isStopRequested() && (count == null || printed < count)
                            && (follow || !reachedEnd(consumer, next, end, assignDeadline))) {
                        Optional<Event> polled = consumer.poll(Duration.ofMillis(200));
                        if (polled.isEmpty()) {
                            acknowledge(out, unacked);
                            continue;
                        }
                        Event e = polled.get();
                        if (e.isNoMoreEvents()) {
                            break;
                        }
                        String file = dataDir == null ? null : writeData(dataDir, e);
                        out.println(format == Format.raw ? EventJson.raw(e.metadata())
                                : EventJson.line(e, base64, file));
                        printed++;
                        next.put(e.partition(), e.id() + 1);
                        unacked.put(e.partition(), e);
                        if (printed % ACK_EVERY == 0 || follow) {
                            acknowledge(out, unacked);
                        }
                    }
                } finally {
                    acknowledge(out, unacked);
                }
                if (!noAck) {
                    consumer.commit().join();
                }
            }
            LOG.debug("Printed {} events of topic '{}' as '{}'", printed, topicName, name);
        }
        return 0;
    }

    /**
     * @return true when every assigned partition has been read up to its end at start
     * @throws CtlException if no partition is assigned within {@link #ASSIGNMENT_WAIT}
     */
    private boolean reachedEnd(Consumer consumer, Map<Integer, Long> next, long[] end, long assignDeadline) {
        Set<Integer> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            if (System.nanoTime() > assignDeadline) {
                throw new CtlException("consumer '" + name + "' got no partition of topic '" + topicName
                        + "' within " + ASSIGNMENT_WAIT.toSeconds()
                        + " s: other live consumers of that name hold them");
            }
            return false;
        }
        for (int p : assigned) {
            long n = next.computeIfAbsent(p, consumer::position);
            if (n < end[p]) {
                return false;
            }
        }
        return true;
    }

    /** Flushes stdout, then acknowledges the last printed event of each partition (if stdout is still good). */
    private void acknowledge(PrintStream out, Map<Integer, Event> unacked) {
        if (unacked.isEmpty()) {
            return;
        }
        if (out.checkError()) {
            unacked.clear();
            throw new CtlException("cannot write to stdout (closed pipe?); the unwritten events stay unacknowledged");
        }
        if (!noAck) {
            for (Event e : unacked.values()) {
                e.acknowledge();
            }
        }
        unacked.clear();
    }

    /** Writes the event's data to {@code dir/<partition>-<id>.bin}; returns the path. */
    static String writeData(Path dir, Event e) throws IOException {
        Path file = dir.resolve(e.partition() + "-" + e.id() + ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            List<ByteBuffer> segments = e.data().segments();
            ByteBuffer[] bufs = new ByteBuffer[segments.size()];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = segments.get(i).duplicate();
            }
            long left = e.data().size();
            while (left > 0) {
                left -= ch.write(bufs);
            }
        }
        return file.toString();
    }
}
