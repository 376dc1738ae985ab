package dev.diaspora.stream.ctl;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.StartAt;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code path <- topic}: events are written into the FIFO, one line each: {@code raw} (the default) writes a JSON
 * string metadata bare and other metadata as JSON, {@code json} writes the metadata as JSON, {@code event} writes the
 * line {@code consume} prints ({@code partition}, {@code id}, {@code timestamp}, {@code metadata}).
 *
 * <p>Unlike the C++ tool, nothing is dropped: a write blocks while the reader is slow, an event is acknowledged only
 * after its line is written, and when the reader goes away the event being written is read again (seek) and the FIFO
 * waits for the next reader.
 *
 * <p>Thread safety: see {@link FifoWorker}.
 */
final class FifoConsumer extends FifoWorker {
    private static final Logger LOG = LoggerFactory.getLogger(FifoConsumer.class);

    enum Format { raw, json, event }

    private final Consumer consumer;
    private final Format format;

    FifoConsumer(Path path, boolean created, Consumer consumer, Format format) {
        super(path, created);
        this.consumer = consumer;
        this.format = format;
    }

    @Override
    public void run() {
        while (!stopping) {
            try (FileChannel ch = track(FileChannel.open(path, StandardOpenOption.WRITE))) {
                if (stopping) {
                    break;
                }
                LOG.debug("A reader opened {}", path);
                pump(ch);
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (stopping) {
                    break;
                }
                LOG.info("The reader of {} went away ({}); waiting for the next one", path, DiasporaCtl.describe(e));
            } catch (RuntimeException e) {
                LOG.error("The consumer of {} failed: {}; it stops", path, DiasporaCtl.describe(e));
                break;
            } finally {
                track(null);
            }
        }
    }

    private void pump(FileChannel ch) throws IOException {
        while (!stopping) {
            Optional<Event> polled = consumer.poll(Duration.ofMillis(200));
            if (polled.isEmpty()) {
                continue;
            }
            Event e = polled.get();
            if (e.isNoMoreEvents()) {
                stopping = true;
                return;
            }
            String text = switch (format) {
                case raw -> EventJson.raw(e.metadata());
                case json -> Output.compact(e.metadata());
                case event -> EventJson.line(e, false, null);
            };
            ByteBuffer line = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                while (line.hasRemaining()) {
                    ch.write(line);
                }
            } catch (ClosedChannelException closed) {
                throw closed;
            } catch (IOException broken) {
                consumer.seek(e.partition(), StartAt.id(e.id()));
                throw broken;
            }
            e.acknowledge();
        }
    }

    @Override
    void release() {
        try {
            consumer.close();
        } catch (RuntimeException e) {
            LOG.warn("Closing the consumer of {} failed: {}", path, DiasporaCtl.describe(e));
        }
    }
}
