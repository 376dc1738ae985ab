package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.TopicBackend;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The open topic handles of one driver instance (either file layout), so that closing the driver closes them: a
 * handle registers when it opens and leaves when it closes; a handle that registers while the driver closes is closed
 * at once.
 *
 * <p>Thread safety: thread-safe.
 *
 * @param <T> the layout's topic handle
 */
final class OpenTopics<T extends TopicBackend> {
    private final Set<T> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String driver;

    /** @param driver how errors name the closed driver ({@code "the files driver on /data"}) */
    OpenTopics(String driver) {
        this.driver = driver;
    }

    /**
     * Registers a handle just opened.
     *
     * @return {@code t}
     * @throws IllegalStateException (after closing {@code t}) if the driver closed meanwhile
     */
    T add(T t) {
        open.add(t);
        if (closed.get()) {
            t.close();
            checkOpen();
        }
        return t;
    }

    /** Forgets a handle that closed. */
    void remove(T t) {
        open.remove(t);
    }

    /** @return the open handles of topic {@code name} now */
    List<T> named(String name) {
        return open.stream().filter(t -> t.name().equals(name)).toList();
    }

    /** @throws IllegalStateException if the driver is closed */
    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException(driver + " is closed");
        }
    }

    /**
     * Marks the driver closed and closes every open handle (the first time only); every handle is closed even if one
     * fails.
     *
     * @throws RuntimeException the first failure of a handle's close
     */
    void closeAll() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException first = null;
        for (T t : List.copyOf(open)) {
            try {
                t.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
