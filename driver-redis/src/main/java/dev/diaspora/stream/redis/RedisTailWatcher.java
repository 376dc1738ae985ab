package dev.diaspora.stream.redis;

import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.Clock;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Wakes the tailing consumers of one topic handle when any process appends to one of its partitions or deletes the
 * topic: a thread blocked on the server in {@code XREAD BLOCK} over streams of one slot (every partition stream and
 * the topic's control stream, or one of them when partitions have slots of their own), on a connection of its own
 * (no client-side polling; the block timeout only bounds how late it notices {@link #close()}). Each wake-up moves the watched ids to the stream's newest entry, so a burst of appends costs one
 * wake-up, not one per event.
 *
 * <p>Thread safety: started and closed by its topic; the thread is confined to itself.
 */
final class RedisTailWatcher implements AutoCloseable {
    /**
     * How long one {@code XREAD} blocks on the server: bounds how late the thread notices {@link #close()}. Its
     * command timeout is {@code command_timeout_ms} plus this ({@link RedisClients#timeouts}), whatever the option.
     */
    static final long BLOCK_MS = 2000;
    /**
     * The pauses between attempts to connect again after the server went away: 100 ms at first, doubling (jittered)
     * up to 1 s, and never longer than {@code connect_timeout_ms}; a connection that works starts again at 100 ms.
     */
    static final Backoff RECONNECT = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1));

    private final RedisBackend backend;
    private final String[] streams;
    private final ChangeNotifier notifier;
    private final Thread thread;
    private volatile boolean closed;
    private volatile RedisClients.Connection connection;

    RedisTailWatcher(RedisBackend backend, String[] streams, ChangeNotifier notifier, String threadName) {
        this.backend = backend;
        this.streams = streams;
        this.notifier = notifier;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        String[] ids = new String[streams.length];
        long wait = BLOCK_MS + backend.config.commandTimeout.toMillis();
        Backoff.Retry reconnects = RECONNECT.start(Clock.system());
        while (!closed) {
            try {
                if (connection == null) {
                    connection = backend.dedicatedConnection();
                    if (closed) {
                        return; // close() closes it (a connection is never abandoned mid-handshake)
                    }
                    connection.stateful().setTimeout(Duration.ofMillis(wait));
                    RedisClusterAsyncCommands<String, Object> r = connection.commands();
                    for (int i = 0; i < streams.length; i++) {
                        ids[i] = top(r, streams[i], wait);
                    }
                    notifier.changed(); // anything appended while the watcher was not connected
                    reconnects.reset();
                }
                RedisClusterAsyncCommands<String, Object> r = connection.commands();
                @SuppressWarnings("unchecked")
                XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[streams.length];
                for (int i = 0; i < streams.length; i++) {
                    offsets[i] = XReadArgs.StreamOffset.from(streams[i], ids[i]);
                }
                List<StreamMessage<String, Object>> got = get(r.xread(XReadArgs.Builder.block(BLOCK_MS).count(1),
                        offsets), wait);
                if (got == null || got.isEmpty()) {
                    continue;
                }
                for (StreamMessage<String, Object> m : got) {
                    for (int i = 0; i < streams.length; i++) {
                        if (streams[i].equals(m.getStream())) {
                            ids[i] = top(r, streams[i], wait);
                            if (ids[i].equals("0-0")) {
                                ids[i] = m.getId(); // emptied meanwhile (deleted): go on after what was seen
                            }
                        }
                    }
                }
                notifier.changed();
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                // the server went away: drop the connection, wake the readers (their reads report the error), and
                // connect again after a pause
                RedisClients.Connection c = connection;
                connection = null;
                if (c != null) {
                    c.stateful().closeAsync();
                }
                notifier.changed();
                long pauseMs = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(reconnects.nextDelayNanos()),
                        backend.config.connectTimeout.toMillis()));
                synchronized (this) {
                    try {
                        if (!closed) {
                            wait(pauseMs); // not the clock's sleep: stop() must end the pause at once
                        }
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    /** Waits for an answer of the watcher's own connection (a closed connection fails it at once). */
    private static <T> T get(RedisFuture<T> f, long ms) {
        try {
            return f.get(ms, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer within " + ms + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** @return the id of the newest entry of {@code stream}, or 0-0 if it is empty or missing */
    private static String top(RedisClusterAsyncCommands<String, Object> r, String stream, long ms) {
        List<StreamMessage<String, Object>> last = get(r.xrevrange(stream, Range.unbounded(), Limit.from(1)), ms);
        return last.isEmpty() ? "0-0" : last.get(0).getId();
    }

    /** Asks the thread to stop, without waiting: {@link #close()} waits (stopping many watchers at once is quicker). */
    void stop() {
        closed = true;
        synchronized (this) {
            notifyAll(); // ends a pause between reconnection attempts
        }
        RedisClients.Connection c = connection;
        if (c != null) {
            c.stateful().closeAsync(); // ends a blocked XREAD at once
        }
    }

    @Override
    public void close() {
        // Closing the connection ends a blocked XREAD at once. The thread is not interrupted: an interrupt during
        // the connection's handshake would leave Lettuce a half-open channel whose handshake timer fires after the
        // client has shut down (an ERROR in the log). A connection still being opened is closed by the thread's own
        // check, or below once the thread has ended.
        stop();
        try {
            thread.join(backend.config.connectTimeout.toMillis() + 5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RedisClients.Connection c = connection;
        connection = null;
        if (c != null && c.stateful().isOpen()) {
            c.stateful().close();
        }
    }
}
