package dev.diaspora.stream.rabbitmq;

import java.util.concurrent.CompletableFuture;

/**
 * The sends of an appender not completed yet, for {@code flush}: sends are counted in epochs, a flush seals the
 * current epoch and completes once every sealed epoch has no send left. Sends complete out of order (a send that
 * fails at once completes before an earlier one the follower has not seen yet), so a flush cannot watch only the
 * last send of each partition.
 *
 * <p>Thread safety: thread-safe; {@link #begin} on the sending thread, {@link #end} on any thread.
 */
final class Outstanding {
    /** The sends counted between two flushes. */
    static final class Epoch {
        private long count; // guarded by the Outstanding
        private final CompletableFuture<Void> done = new CompletableFuture<>();
    }

    private Epoch current = new Epoch(); // guarded by this
    /** Completes when every epoch sealed so far has no send left. */
    private CompletableFuture<Void> sealed = CompletableFuture.completedFuture(null); // guarded by this

    /** Counts a send; pass the result to {@link #end} when the send completes, exactly once. */
    synchronized Epoch begin() {
        current.count++;
        return current;
    }

    /** A send counted in {@code epoch} completed. */
    void end(Epoch epoch) {
        boolean last;
        synchronized (this) {
            last = --epoch.count == 0 && epoch != current;
        }
        if (last) {
            epoch.done.complete(null); // outside the lock: dependants run here
        }
    }

    /** @return a future that completes when every send counted before this call has completed */
    synchronized CompletableFuture<Void> flush() {
        Epoch e = current;
        if (e.count > 0) {
            current = new Epoch();
            sealed = sealed.isDone() ? e.done : CompletableFuture.allOf(sealed, e.done);
        }
        return sealed;
    }
}
