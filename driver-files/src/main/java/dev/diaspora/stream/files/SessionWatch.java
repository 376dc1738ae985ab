package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The read sessions of one open topic handle (either file layout) and the {@link TailWatcher} that runs while any
 * exists: the first session starts a watcher, the watcher ends on its next round once the last session closed or the
 * handle closed, and a later session starts a new one.
 *
 * <p>Thread safety: thread-safe.
 */
final class SessionWatch {
    private final TailWatcher.Watched topic;
    private final ChangeNotifier notifier;
    private final Object lock = new Object();
    private TailWatcher watcher; // guarded by lock: the one running for the current sessions
    private final List<TailWatcher> started = new ArrayList<>(); // guarded by lock: every one not known to be done
    private int sessions; // guarded by lock
    private boolean closed; // guarded by lock

    /**
     * @param topic the partitions the watcher checks
     * @param notifier the handle's notifier, bumped when another process appended
     */
    SessionWatch(TailWatcher.Watched topic, ChangeNotifier notifier) {
        this.topic = topic;
        this.notifier = notifier;
    }

    /**
     * Opens a read session on {@code local}, counted until it closes.
     *
     * @param beforePoll run before every poll (a check that the topic is still there), or a no-op
     */
    ReadSession open(LocalTopic local, SessionConfig config, Runnable beforePoll) {
        opened();
        try {
            return new FilesReadSession(local, config, beforePoll, this::sessionClosed);
        } catch (RuntimeException e) {
            sessionClosed();
            throw e;
        }
    }

    private void opened() {
        synchronized (lock) {
            sessions++;
            if (watcher == null && !closed) {
                watcher = new TailWatcher(topic, notifier, this::keepWatching);
                started.removeIf(t -> !t.isAlive());
                started.add(watcher);
                watcher.start();
            }
        }
    }

    private void sessionClosed() {
        synchronized (lock) {
            sessions--;
        }
    }

    /** Asked by the watcher on every round: should it keep running? If not, it is forgotten (under the lock). */
    private boolean keepWatching(TailWatcher w) {
        synchronized (lock) {
            if (sessions > 0 && !closed && watcher == w) {
                return true;
            }
            if (watcher == w) {
                watcher = null;
            }
            return false;
        }
    }

    /** Stops watching for good (the handle closes) and waits for every watcher thread to end. */
    void close() {
        List<TailWatcher> ws;
        synchronized (lock) {
            closed = true;
            ws = List.copyOf(started);
            watcher = null;
        }
        for (TailWatcher t : ws) {
            t.join();
        }
    }
}
