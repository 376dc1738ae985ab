package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.Validator;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl import}: pushes an archive written by {@code export} into a topic, after verifying its checksum.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "import", mixinStandardHelpOptions = true, description = {"Push the events of an archive written "
    + "by 'export' into a topic, after verifying the archive's CRC32C (nothing is pushed from a damaged file).", "",
    "If the topic does not exist it is created with the archive's components and options (all options when the "
        + "driver is the one that exported, num_partitions only otherwise; --topic.<key> <value> overrides).",
    "Default (exact) mode: the topic must have the archive's partition count and each partition must end where the "
        + "archive's starts (an empty topic for a full export); each event goes to its partition and gets its "
        + "original EventID (checked). --append instead adds the events after whatever the topic holds (same "
        + "partition index when the counts match, else the topic's selector chooses); EventIDs are new.",
    "Limitation: storage timestamps are not reproduced; the driver stamps each event when import pushes it."})
final class ImportCommand extends CtlCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ImportCommand.class);
    private static final int MAX_IN_FLIGHT = 8192;
    private static final Set<String> COMPONENT_KEYS = Set.of("validator", "partition_selector", "serializer");

    @Mixin
    DriverOptions driver;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "Archive written by 'export'.")
    Path file;

    @Option(names = {"-t", "--topic"}, paramLabel = "TOPIC",
            description = "Topic to import into (default: the exported topic's name).")
    String topicName;

    @Option(names = "--append", description = "Append with new EventIDs instead of reproducing them.")
    boolean append;

    ImportCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    Set<String> dottedPrefixes() {
        return Set.of("driver", "topic");
    }

    @Override
    int execute() throws IOException, InterruptedException {
        verifyChecksum(file);
        try (InputStream fin = Files.newInputStream(file)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(fin, 1 << 20));
            byte[] magic = new byte[ArchiveDescriptor.MAGIC.length];
            in.readFully(magic);
            if (in.readByte() != ArchiveDescriptor.HEADER) {
                throw corrupt("no header frame");
            }
            int hlen = in.readInt();
            if (hlen < 0 || hlen > ArchiveDescriptor.MAX_HEADER) {
                throw corrupt("header length " + hlen);
            }
            byte[] h = new byte[hlen];
            in.readFully(h);
            JsonNode header = JsonConfig.MAPPER.readTree(new String(h, StandardCharsets.UTF_8));
            if (!ArchiveDescriptor.FORMAT.equals(header.path("format").asText())
                    || header.path("version").asInt() != ArchiveDescriptor.VERSION) {
                throw new CtlException(file + " is a " + header.path("format").asText("?") + " version "
                        + header.path("version").asText("?") + " file; this tool reads "
                        + ArchiveDescriptor.FORMAT + " version " + ArchiveDescriptor.VERSION);
            }
            String name = topicName != null ? topicName : header.path("topic").asText();
            JsonNode parts = header.path("partitions");
            int n = parts.size();
            long[] first = new long[n];
            long total = 0;
            for (JsonNode p : parts) {
                first[p.path("index").asInt()] = p.path("first").asLong();
                total += p.path("next").asLong() - p.path("first").asLong();
            }
            try (Driver d = driver.open(ctx)) {
                if (!d.topicExists(name)) {
                    create(d, name, header);
                }
                try (TopicHandle topic = d.openTopic(name);
                        Progress progress = Progress.onTerminal("import", total)) {
                    long count = push(topic, in, first, progress);
                    LOG.info("Imported {} events into topic '{}'{}", count, name,
                            append ? " (appended)" : " (EventIDs reproduced; timestamps are new)");
                }
            }
        }
        return 0;
    }

    /** Reads the whole file once and compares the CRC32C of all but the last 4 bytes with those 4 bytes. */
    static void verifyChecksum(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < ArchiveDescriptor.MAGIC.length + 4) {
                throw new CtlException(file + " is not a topic archive: " + size + " bytes");
            }
            ByteBuffer magic = ByteBuffer.allocate(ArchiveDescriptor.MAGIC.length);
            ch.read(magic, 0);
            if (!Arrays.equals(magic.array(), ArchiveDescriptor.MAGIC)) {
                throw new CtlException(file + " is not a topic archive written by 'diaspora-ctl export' (bad magic)");
            }
            CRC32C crc = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            long end = size - 4;
            while (pos < end) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), end - pos));
                int r = ch.read(buf, pos);
                if (r < 0) {
                    throw new EOFException();
                }
                buf.flip();
                crc.update(buf);
                pos += r;
            }
            ByteBuffer tail = ByteBuffer.allocate(4);
            ch.read(tail, end);
            int stored = tail.getInt(0);
            if (stored != (int) crc.getValue()) {
                throw new CtlException(file + " is damaged: its CRC32C is " + Integer.toHexString((int) crc.getValue())
                        + " but the archive says " + Integer.toHexString(stored) + "; nothing was imported");
            }
        } catch (NoSuchFileException e) {
            throw new CtlException("--file: " + file + " does not exist");
        }
    }

    private void create(Driver d, String name, JsonNode header) {
        JsonNode config = header.path("config");
        ObjectNode options = JsonConfig.MAPPER.createObjectNode();
        boolean sameDriver = d.name().equals(header.path("driver").asText());
        config.properties().forEach(f -> {
            // "layout" describes how a driver stores the topic (files-v0, files); it is not an option
            if (!COMPONENT_KEYS.contains(f.getKey()) && !f.getKey().equals("layout")
                    && (sameDriver || f.getKey().equals("num_partitions"))) {
                options.set(f.getKey(), f.getValue());
            }
        });
        options.put("num_partitions", header.path("partitions").size());
        ObjectNode merged = (ObjectNode) JsonConfig.mergePatch(options, ctx.dotted().get("topic"));
        Validator v = config.has("validator") ? Validator.fromConfig(Metadata.of(config.get("validator")))
                : Validator.defaultValidator();
        PartitionSelector s = config.has("partition_selector")
                ? PartitionSelector.fromConfig(Metadata.of(config.get("partition_selector")))
                : PartitionSelector.defaultSelector();
        Serializer ser = config.has("serializer") ? Serializer.fromConfig(Metadata.of(config.get("serializer")))
                : Serializer.defaultSerializer();
        d.createTopic(name, Metadata.of(merged), v, s, ser);
        LOG.info("Created topic '{}' with {}", name, merged);
    }

    private record Pending(CompletableFuture<Long> future, int partition, long id) {
    }

    private long push(TopicHandle topic, DataInputStream in, long[] first, Progress progress) throws IOException {
        int n = first.length;
        int target = topic.partitions().size();
        long[] expected = first.clone();
        if (!append) {
            if (target != n) {
                throw new CtlException("topic '" + topic.name() + "' has " + target + " partitions but the archive has "
                        + n + "; EventIDs can only be reproduced with the same count (use --append for new ids)");
            }
            for (int p = 0; p < n; p++) {
                PartitionBounds b = topic.bounds(p);
                if (b.next() != first[p]) {
                    throw new CtlException("topic '" + topic.name() + "' partition " + p + " ends at EventID "
                            + b.next() + " but the archive's events start at " + first[p] + "; EventIDs can only "
                            + "be reproduced into " + (first[p] == 0 ? "an empty topic" : "a topic ending there")
                            + " (use --append for new ids)");
                }
            }
        }
        ArrayDeque<Pending> pending = new ArrayDeque<>();
        long count = 0;
        try (Producer producer = topic.producer(ProducerOptions.named("diaspora-ctl-import"))) {
            while (true) {
                byte type = in.readByte();
                if (type == ArchiveDescriptor.END) {
                    long declared = in.readLong();
                    if (declared != count) {
                        throw corrupt("it declares " + declared + " events but holds " + count);
                    }
                    break;
                }
                if (type != ArchiveDescriptor.EVENT) {
                    throw corrupt("unknown frame type " + type);
                }
                int p = in.readInt();
                long id = in.readLong();
                in.readLong();
                in.readInt();
                int mdLen = in.readInt();
                long dataLen = in.readLong();
                if (p < 0 || p >= n || mdLen < 0 || dataLen < 0) {
                    throw corrupt("bad event frame (partition " + p + ")");
                }
                if (id != expected[p]) {
                    throw corrupt("partition " + p + ": EventID " + id + " where " + expected[p] + " was expected");
                }
                expected[p]++;
                byte[] md = new byte[mdLen];
                in.readFully(md);
                DataView data = readData(in, dataLen);
                int partition = append ? (target == n ? p : -1) : p;
                CompletableFuture<Long> f = partition >= 0
                        ? producer.push(Metadata.ofUtf8(md), data, partition)
                        : producer.push(Metadata.ofUtf8(md), data);
                pending.add(new Pending(f, p, id));
                count++;
                progress.add(1, mdLen + dataLen);
                if (pending.size() >= MAX_IN_FLIGHT) {
                    check(pending, pending.size() / 2);
                }
            }
            producer.flush().exceptionally(e -> null).join();
            check(pending, pending.size());
        }
        return count;
    }

    private void check(ArrayDeque<Pending> pending, int howMany) {
        for (int i = 0; i < howMany; i++) {
            Pending pd = pending.poll();
            long got;
            try {
                got = pd.future().join();
            } catch (RuntimeException e) {
                throw new CtlException("event " + pd.partition() + ":" + pd.id() + " of the archive was rejected: "
                        + DiasporaCtl.describe(e), e);
            }
            if (!append && got != pd.id()) {
                throw new CtlException("event " + pd.partition() + ":" + pd.id() + " got EventID " + got
                        + ": another producer wrote to the topic during the import");
            }
        }
    }

    private static DataView readData(DataInputStream in, long size) throws IOException {
        if (size == 0) {
            return DataView.EMPTY;
        }
        List<ByteBuffer> segments = new ArrayList<>();
        for (long left = size; left > 0;) {
            int k = (int) Math.min(left, 1L << 30);
            byte[] b = new byte[k];
            in.readFully(b);
            segments.add(ByteBuffer.wrap(b));
            left -= k;
        }
        return segments.size() == 1 ? DataView.of(segments.get(0)) : DataView.of(segments);
    }

    private CtlException corrupt(String what) {
        return new CtlException(file + " is not a valid topic archive: " + what);
    }
}
