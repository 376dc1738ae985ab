package dev.diaspora.stream.netty;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.Backend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The topics a {@link PartitionServer} has open: one {@link ServerTopic} per name, shared by the connections that
 * opened it and closed when the last one lets it go, and each topic's producer state (for deduplicating retried
 * appends: README, "Exactly-once appends") under {@code <root>/producer-state/<topic>}.
 *
 * <p>Ownership: it owns the open {@link ServerTopic}s, not the storage they come from. Thread safety: thread-safe
 * (one lock, the map's).
 */
final class ServerTopics {
    /** Under the server's root: each topic's producer state, for deduplicating retried appends. */
    static final String PRODUCER_STATE_DIR = "producer-state";

    private final Backend storage;
    private final Path producerStateRoot;
    private final BackgroundErrorHandler errors;
    private final Map<String, ServerTopic> open = new HashMap<>(); // guarded by itself
    private boolean closed; // guarded by open

    /**
     * @param storage the files storage the topics are opened from
     * @param root the server's root directory (producer state lives under it)
     * @param errors told about failures that no request carries (a topic's notifier thread, a leftover state)
     */
    ServerTopics(Backend storage, Path root, BackgroundErrorHandler errors) {
        this.storage = storage;
        this.producerStateRoot = root.resolve(PRODUCER_STATE_DIR);
        this.errors = errors;
    }

    /** @return the open topic of that name (opened now if no connection has it), with one more reference */
    ServerTopic acquire(String name) {
        synchronized (open) {
            if (closed) {
                throw new DiasporaException("the server is closing", null, true);
            }
            ServerTopic t = open.get(name);
            if (t == null) {
                t = new ServerTopic(name, storage.openTopic(name), producerState(name), errors);
                open.put(name, t);
            }
            t.refs++;
            return t;
        }
    }

    /** Drops one reference to {@code t}; the last one closes it. */
    void release(ServerTopic t) {
        synchronized (open) {
            if (--t.refs == 0 && open.get(t.name) == t) {
                open.remove(t.name);
                t.close();
            }
        }
    }

    /** Deletes a topic, closing it first for every connection that has it open. */
    void delete(String name) {
        synchronized (open) {
            ServerTopic t = open.remove(name);
            if (t != null) {
                t.deleted(); // handles of it fail from now on, tailing clients are told
                t.close();
            }
            storage.deleteTopic(name);
            deleteProducerState(name);
        }
    }

    /** Closes every open topic; later {@link #acquire} calls fail (retriable: the server is going away). */
    void closeAll() {
        synchronized (open) {
            closed = true;
            for (ServerTopic t : open.values()) {
                t.close();
            }
            open.clear();
        }
    }

    /** @return the directory of a topic's producer state */
    private Path producerState(String name) {
        return producerStateRoot.resolve(name);
    }

    /** A deleted topic's producers are forgotten with it; a failure only leaves files a new incarnation ignores. */
    private void deleteProducerState(String name) {
        Path d = producerState(name);
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(d);
        } catch (NoSuchFileException e) {
            // the topic was never appended to here
        } catch (IOException e) {
            errors.onError("could not delete the producer state " + d + " of deleted topic '" + name + "'", e);
        }
    }
}
