package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code path -> topic}: every non-empty line written into the FIFO becomes one event (no data). {@code raw} lines
 * become JSON strings (escaped, unlike the C++ tool, so quotes and backslashes are kept); {@code json} lines must be
 * JSON and are stored verbatim (invalid ones are logged and dropped).
 *
 * <p>Unlike the C++ tool, the FIFO outlives a writer: at end of file the producer is flushed and the FIFO is opened
 * again for the next writer, so {@code echo a > f; echo b > f} works. It is deleted at shutdown if the daemon made it.
 *
 * <p>Thread safety: see {@link FifoWorker}.
 */
final class FifoProducer extends FifoWorker {
    private static final Logger LOG = LoggerFactory.getLogger(FifoProducer.class);

    private final Producer producer;
    private final boolean json;
    private long events;

    FifoProducer(Path path, boolean created, Producer producer, boolean json) {
        super(path, created);
        this.producer = producer;
        this.json = json;
    }

    @Override
    public void run() {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (!stopping) {
            try (FileChannel ch = track(FileChannel.open(path, StandardOpenOption.READ))) {
                if (stopping) {
                    break;
                }
                LOG.debug("A writer opened {}", path);
                while (true) {
                    buf.clear();
                    int n = ch.read(buf);
                    if (n < 0) {
                        break;
                    }
                    byte[] a = buf.array();
                    int start = 0;
                    for (int i = 0; i < n; i++) {
                        if (a[i] == '\n') {
                            line.write(a, start, i - start);
                            push(line);
                            start = i + 1;
                        }
                    }
                    line.write(a, start, n - start);
                }
                push(line);
                flush();
            } catch (ClosedChannelException e) {
                push(line);
                break;
            } catch (IOException e) {
                if (stopping) {
                    break;
                }
                if (!Files.exists(path)) {
                    LOG.warn("FIFO {} was removed; its producer stops", path);
                    break;
                }
                LOG.warn("Reading FIFO {}: {}; retrying", path, DiasporaCtl.describe(e));
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    break;
                }
            } finally {
                track(null);
            }
        }
    }

    private void push(ByteArrayOutputStream line) {
        if (line.size() == 0) {
            return;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isEmpty()) {
            return;
        }
        Metadata md;
        if (json) {
            md = Metadata.of(text);
            try {
                md.checkSyntax();
            } catch (InvalidMetadataException e) {
                LOG.warn("Dropping a line of {} that is not JSON: {}", path, DiasporaCtl.oneLine(e.getMessage()));
                return;
            }
        } else {
            md = Metadata.of(JsonNodeFactory.instance.textNode(text));
        }
        try {
            producer.push(md, DataView.EMPTY).whenComplete((id, err) -> {
                if (err != null) {
                    LOG.warn("An event from {} failed: {}", path, DiasporaCtl.describe(err));
                }
            });
            events++;
        } catch (RuntimeException e) {
            LOG.warn("An event from {} failed: {}", path, DiasporaCtl.describe(e));
        }
    }

    private void flush() {
        try {
            producer.flush().join();
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof dev.diaspora.stream.EventsFailedException)) {
                LOG.warn("Flushing the events of {} failed: {}", path, DiasporaCtl.describe(e));
            } // else each failed event was logged when its push completed
        } catch (RuntimeException e) {
            LOG.warn("Flushing the events of {} failed: {}", path, DiasporaCtl.describe(e));
        }
    }

    @Override
    void release() {
        try {
            producer.close();
        } catch (RuntimeException e) {
            LOG.warn("Flushing the events of {} failed: {}", path, DiasporaCtl.describe(e));
        }
        LOG.debug("Producer FIFO {} closed after {} events", path, events);
    }
}
