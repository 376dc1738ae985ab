package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl produce}: each non-empty line of stdin becomes one event.
 *
 * <p>Thread safety: confined to the command's thread (push callbacks only touch the printer and counters).
 */
@Command(name = "produce", mixinStandardHelpOptions = true, description = {"Push each non-empty line of stdin as "
    + "one event.", "",
    "--format raw (default): the line becomes the JSON string metadata \"<line>\" (escaped as needed). "
        + "--format json: the line is the metadata, verbatim; it must be valid JSON.",
    "--data-file F attaches F's bytes (mapped, not copied) as the data of every event.",
    "--key K puts K, as a string, into the field the topic's hash selector hashes (or into --key-field F for any "
        + "selector), so events with equal keys go to one partition; it needs JSON object metadata (--format json).",
    "--print-ids prints exactly one line per stdin line, in input order, so line N of the output belongs to line N of "
        + "the input: '<partition> <EventID>' for a stored event, 'error: <reason>' for a line that was not stored, "
        + "'skipped: empty line' for an empty line.",
    "Exit status 1 if any event failed: the error line names the first (with its stdin line number); later "
        + "failures are logged."})
final class ProduceCommand extends CtlCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ProduceCommand.class);

    enum Format { raw, json }

    @Mixin
    DriverOptions driver;

    @Option(names = {"-t", "--topic"}, required = true, paramLabel = "TOPIC", description = "Topic to push to.")
    String topicName;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "raw",
            description = "raw or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--data-file", paramLabel = "FILE", description = "File whose bytes become every event's data.")
    Path dataFile;

    @Option(names = "--key", paramLabel = "KEY", description = "Partitioning key (see above).")
    String key;

    @Option(names = "--key-field", paramLabel = "FIELD",
            description = "Metadata field (dotted path) that receives --key; default: the hash selector's field.")
    String keyField;

    @Option(names = {"-p", "--partition"}, paramLabel = "N", description = "Push every event to partition N.")
    Integer partition;

    @Option(names = "--print-ids", description = "Print one line per stdin line: '<partition> <EventID>', "
            + "'error: <reason>' or 'skipped: empty line'.")
    boolean printIds;

    @Option(names = "--batch-size", paramLabel = "N", description = "Events per batch (default: adaptive).")
    Integer batchSize;

    ProduceCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    Set<String> dottedPrefixes() {
        return Set.of("driver");
    }

    @Override
    int execute() throws IOException, InterruptedException {
        DataView data = dataFile == null ? DataView.EMPTY : mapFile(dataFile);
        ProducerOptions options = ProducerOptions.named("diaspora-ctl-produce");
        if (batchSize != null) {
            options = options.batchSize(BatchSize.of(batchSize));
        }
        try (Driver d = driver.open(ctx); TopicHandle topic = d.openTopic(topicName)) {
            String[] keyPath = key == null ? null : keyPath(topic);
            int target = partition == null ? -1 : partition;
            if (target >= topic.partitions().size() || partition != null && target < 0) {
                throw new CtlException("invalid value " + partition + " for option '--partition': topic '"
                        + topicName + "' has partitions 0 to " + (topic.partitions().size() - 1));
            }
            Results results = new Results(printIds ? ctx.out() : null);
            long line = 0;
            long pushed = 0;
            try (Producer producer = topic.producer(options)) {
                BufferedReader in = new BufferedReader(new InputStreamReader(ctx.in(), StandardCharsets.UTF_8));
                for (String text = in.readLine(); text != null; text = in.readLine()) {
                    line++;
                    if (text.isEmpty()) {
                        results.skipped(line);
                        continue;
                    }
                    Metadata md;
                    try {
                        md = metadata(text, keyPath);
                    } catch (CtlException | InvalidMetadataException e) {
                        results.failedBeforePush(line, e.getMessage());
                        continue;
                    }
                    long seq = results.expect(line);
                    producer.push(md, data, target, (p, id, err) -> results.completed(seq, p, id, err));
                    pushed++;
                }
                try {
                    producer.flush().join();
                } catch (java.util.concurrent.CompletionException e) {
                    if (!(e.getCause() instanceof dev.diaspora.stream.EventsFailedException)) {
                        throw e;
                    }
                    // each failed event is in results (its callback), reported below with its line
                }
            }
            results.awaitAll();
            LOG.debug("Pushed {} events to topic '{}'", pushed, topicName);
            if (results.failures.get() > 0) {
                throw new CtlException(results.failures.get() + " of " + (pushed + results.rejected.get())
                        + " events failed; first: " + results.firstFailure.get());
            }
        }
        return 0;
    }

    private String[] keyPath(TopicHandle topic) {
        String field = keyField;
        if (field == null) {
            JsonNode config = topic.selector().config().json();
            if ("hash".equals(config.path("type").asText()) && config.path("field").isTextual()) {
                field = config.get("field").asText();
            } else {
                throw new CtlException("--key: topic '" + topicName + "' uses the partition selector "
                        + Output.compact(config) + ", which hashes no field; name the field the key goes into with"
                        + " --key-field F, or create the topic with --partition-selector hash"
                        + " --partition-selector.field F");
            }
        }
        if (format != Format.json) {
            throw new UsageException("--key puts the key into the metadata field '" + field
                    + "', so the metadata must be a JSON object: use --format json");
        }
        String[] path = field.split("\\.", -1);
        for (String s : path) {
            if (s.isEmpty()) {
                throw new UsageException("invalid value '" + field
                        + "' for option '--key-field': empty name between dots");
            }
        }
        return path;
    }

    private Metadata metadata(String text, String[] keyPath) {
        if (format == Format.raw) {
            return Metadata.of(JsonNodeFactory.instance.textNode(text));
        }
        if (keyPath == null) {
            Metadata md = Metadata.of(text);
            md.checkSyntax();
            return md;
        }
        JsonNode node;
        try {
            node = JsonConfig.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CtlException("invalid JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new CtlException("--key needs JSON object metadata, got " + JsonConfig.kind(node));
        }
        ObjectNode o = (ObjectNode) node;
        for (int i = 0; i < keyPath.length - 1; i++) {
            JsonNode child = o.get(keyPath[i]);
            if (child == null) {
                child = o.putObject(keyPath[i]);
            } else if (!child.isObject()) {
                throw new CtlException("--key: field '" + keyPath[i] + "' of the metadata is not an object");
            }
            o = (ObjectNode) child;
        }
        o.put(keyPath[keyPath.length - 1], key);
        return Metadata.of(node);
    }

    /** Maps a file read-only, in segments of at most 1 GiB; the view stays valid after the channel closes. */
    static DataView mapFile(Path file) throws IOException {
        if (java.nio.file.Files.exists(file) && !java.nio.file.Files.isRegularFile(file)) {
            throw new CtlException("--data-file: " + file
                    + " is not a regular file (pipes and devices cannot be mapped)");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                return DataView.EMPTY;
            }
            List<ByteBuffer> segments = new ArrayList<>();
            for (long pos = 0; pos < size; pos += 1L << 30) {
                segments.add(ch.map(FileChannel.MapMode.READ_ONLY, pos, Math.min(1L << 30, size - pos)));
            }
            return DataView.of(segments);
        }
    }

    /**
     * Collects the outcome of every stdin line; when asked, prints one line per stdin line in input order (on its own
     * thread): the id, an error marker, or a skip marker. Counts failures.
     */
    private static final class Results {
        /** The start of the --print-ids line of a stdin line that was not stored. */
        static final String ERROR = "error: ";
        /** The --print-ids line of an empty stdin line. */
        static final String SKIPPED = "skipped: empty line";

        private final java.io.PrintStream out;
        private final Object lock = new Object();
        private final Map<Long, String> done = new HashMap<>();
        private final Map<Long, Long> lines = new HashMap<>();
        private final Thread printer;
        private long nextSeq;
        private long nextToPrint;
        private boolean closed;
        final AtomicLong failures = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        final AtomicReference<String> firstFailure = new AtomicReference<>();

        Results(java.io.PrintStream out) {
            this.out = out;
            if (out != null) {
                printer = new Thread(this::printLoop, "diaspora-ctl-produce-ids");
                printer.setDaemon(true);
                printer.start();
            } else {
                printer = null;
            }
        }

        long expect(long line) {
            synchronized (lock) {
                lines.put(nextSeq, line);
                return nextSeq++;
            }
        }

        /** An empty line: no event, but a line of --print-ids output so line numbers still match. */
        void skipped(long line) {
            record(expect(line), SKIPPED);
        }

        /** A line that never reached the producer (bad JSON, bad key field). */
        void failedBeforePush(long line, String message) {
            rejected.incrementAndGet();
            record(expect(line), ERROR + fail(line, message));
        }

        /** Counts the failure; @return the one-line reason */
        private String fail(long line, String message) {
            failures.incrementAndGet();
            String reason = DiasporaCtl.oneLine(message);
            String m = "stdin line " + line + ": " + reason;
            if (!firstFailure.compareAndSet(null, m)) {
                LOG.warn("{}", m); // the first one is in the final error line
            }
            return reason;
        }

        private void record(long seq, String printed) {
            synchronized (lock) {
                done.put(seq, printed);
                lock.notifyAll();
            }
        }

        /** Push callback: must not block, so it only records. */
        void completed(long seq, int p, long id, Throwable err) {
            String printed;
            if (err != null) {
                Long line;
                synchronized (lock) {
                    line = lines.get(seq);
                }
                printed = ERROR + fail(line == null ? -1 : line, DiasporaCtl.describe(err));
            } else {
                printed = p + " " + id;
            }
            record(seq, printed);
        }

        /** Waits for every expected outcome (and for the printer to print them). */
        void awaitAll() throws InterruptedException {
            synchronized (lock) {
                closed = true;
                lock.notifyAll();
            }
            if (printer != null) {
                printer.join();
            } else {
                printLoop();
            }
        }

        private void printLoop() {
            try {
                while (true) {
                    List<String> batch = new ArrayList<>();
                    boolean finished;
                    synchronized (lock) {
                        while (!done.containsKey(nextToPrint) && !(closed && nextToPrint >= nextSeq)) {
                            lock.wait();
                        }
                        while (done.containsKey(nextToPrint)) {
                            batch.add(done.remove(nextToPrint));
                            lines.remove(nextToPrint);
                            nextToPrint++;
                        }
                        finished = closed && nextToPrint >= nextSeq;
                    }
                    if (out != null) {
                        for (String s : batch) {
                            out.println(s);
                        }
                        out.flush();
                    }
                    if (finished) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
