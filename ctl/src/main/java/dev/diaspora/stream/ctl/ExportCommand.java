package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl export}: a whole topic (configuration, and every event's metadata, data, partition, EventID and
 * timestamp) into one portable file ({@link ArchiveDescriptor}) with a CRC32C over all of it.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "export", mixinStandardHelpOptions = true, description = {"Write a whole topic to one portable "
    + "archive file: its configuration and every event (metadata, data, partition, EventID, storage timestamp), "
    + "with a CRC32C checksum that 'import' verifies.", "",
    "It exports each partition's events as they are when it starts (later events are left out), reads under the "
        + "consumer name 'diaspora-ctl-export' without acknowledging (so it stores no position, and two exports of "
        + "one topic at once are refused), and writes FILE.tmp then renames it, so FILE is never partial."})
final class ExportCommand extends CtlCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ExportCommand.class);
    static final String CONSUMER = "diaspora-ctl-export";
    private static final Duration STALL = Duration.ofSeconds(60);

    @Mixin
    DriverOptions driver;

    @Option(names = {"-t", "--topic"}, required = true, paramLabel = "TOPIC", description = "Topic to export.")
    String topicName;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "Archive file to write.")
    Path file;

    @Option(names = "--force", description = "Overwrite FILE if it exists.")
    boolean force;

    ExportCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    Set<String> dottedPrefixes() {
        return Set.of("driver");
    }

    @Override
    int execute() throws IOException, InterruptedException {
        if (Files.exists(file) && !force) {
            throw new CtlException("--file: " + file + " exists; use --force to overwrite it");
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Driver d = driver.open(ctx); TopicHandle topic = d.openTopic(topicName)) {
            Metadata config = d.listTopics().get(topicName);
            List<PartitionInfo> partitions = topic.partitions();
            int n = partitions.size();
            long[] first = new long[n];
            long[] end = new long[n];
            ObjectNode header = JsonNodeFactory.instance.objectNode();
            header.put("format", ArchiveDescriptor.FORMAT);
            header.put("version", ArchiveDescriptor.VERSION);
            header.put("topic", topicName);
            header.put("driver", d.name());
            header.put("exported_at", Instant.now().toString());
            header.set("config", config == null ? JsonNodeFactory.instance.objectNode() : config.json());
            ArrayNode ps = header.putArray("partitions");
            for (PartitionInfo p : partitions) {
                PartitionBounds b = topic.bounds(p.index());
                first[p.index()] = b.first();
                end[p.index()] = b.next();
                ObjectNode o = ps.addObject();
                o.put("index", p.index());
                o.put("first", b.first());
                o.put("next", b.next());
                o.set("metadata", p.metadata().json());
            }
            long count;
            try (OutputStream fos = Files.newOutputStream(tmp)) {
                CRC32C crc = new CRC32C();
                CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(fos, 1 << 20), crc);
                DataOutputStream out = new DataOutputStream(checked);
                out.write(ArchiveDescriptor.MAGIC);
                byte[] h = Output.compact(header).getBytes(StandardCharsets.UTF_8);
                out.writeByte(ArchiveDescriptor.HEADER);
                out.writeInt(h.length);
                out.write(h);
                long total = 0;
                for (int p = 0; p < n; p++) {
                    total += end[p] - first[p];
                }
                try (Progress progress = Progress.onTerminal("export", total)) {
                    count = copyEvents(topic, first, end, out, progress);
                }
                out.writeByte(ArchiveDescriptor.END);
                out.writeLong(count);
                out.flush();
                int sum = (int) crc.getValue();
                DataOutputStream tail = new DataOutputStream(fos);
                tail.writeInt(sum);
                tail.flush();
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("Exported {} events of topic '{}' ({} partitions) to {}", count, topicName, n, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return 0;
    }

    private static long copyEvents(TopicHandle topic, long[] first, long[] end, DataOutputStream out,
            Progress progress) throws IOException {
        int n = first.length;
        int[] all = new int[n];
        long[] next = new long[n];
        boolean done = true;
        for (int p = 0; p < n; p++) {
            all[p] = p;
            next[p] = first[p];
            done &= first[p] >= end[p];
        }
        if (done) {
            return 0;
        }
        long count = 0;
        try (Consumer consumer = topic.consumer(ConsumerOptions.named(CONSUMER).targets(all))) {
            for (int p = 0; p < n; p++) {
                if (consumer.position(p) != first[p]) {
                    consumer.seek(p, StartAt.id(first[p]));
                }
            }
            long lastEvent = System.nanoTime();
            while (!reached(next, end)) {
                Optional<Event> polled = consumer.poll(Duration.ofMillis(200));
                if (polled.isEmpty()) {
                    if (System.nanoTime() - lastEvent > STALL.toNanos()) {
                        throw new CtlException("export stalled: no event for " + STALL.toSeconds() + " s with "
                                + describe(next, end) + " still to read");
                    }
                    continue;
                }
                lastEvent = System.nanoTime();
                Event e = polled.get();
                int p = e.partition();
                if (e.id() >= end[p]) {
                    continue;
                }
                if (e.id() != next[p]) {
                    throw new CtlException("partition " + p + ": expected EventID " + next[p] + " but read "
                            + e.id() + "; the topic changed during the export (retention?)");
                }
                write(e, out);
                next[p] = e.id() + 1;
                count++;
                progress.add(1, e.metadata().size() + e.data().size());
            }
        }
        return count;
    }

    private static void write(Event e, DataOutputStream out) throws IOException {
        byte[] md = e.metadata().toUtf8Bytes();
        out.writeByte(ArchiveDescriptor.EVENT);
        out.writeInt(e.partition());
        out.writeLong(e.id());
        out.writeLong(e.timestamp().getEpochSecond());
        out.writeInt(e.timestamp().getNano());
        out.writeInt(md.length);
        out.writeLong(e.data().size());
        out.write(md);
        byte[] chunk = null;
        for (ByteBuffer s : e.data().segments()) {
            if (s.hasArray()) {
                out.write(s.array(), s.arrayOffset() + s.position(), s.remaining());
            } else {
                ByteBuffer d = s.duplicate();
                if (chunk == null) {
                    chunk = new byte[1 << 16];
                }
                while (d.hasRemaining()) {
                    int k = Math.min(chunk.length, d.remaining());
                    d.get(chunk, 0, k);
                    out.write(chunk, 0, k);
                }
            }
        }
    }

    private static boolean reached(long[] next, long[] end) {
        for (int p = 0; p < next.length; p++) {
            if (next[p] < end[p]) {
                return false;
            }
        }
        return true;
    }

    private static String describe(long[] next, long[] end) {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < next.length; p++) {
            if (next[p] < end[p]) {
                b.append(b.length() == 0 ? "" : ", ").append("partition ").append(p).append(" ids ").append(next[p])
                        .append("..").append(end[p] - 1);
            }
        }
        return b.toString();
    }
}
