package dev.diaspora.stream.spi;

import dev.diaspora.stream.BackgroundErrorHandler;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in the order {@link #execute} received them, on the threads of another executor: the
 * drain-task idiom. Submitted tasks go to a lock-free queue; the first submission that finds no drain running hands
 * one drain task to the executor, which runs queued tasks until the queue is empty, so a busy submitter costs one
 * hand-off per burst of tasks, not one per task. For work that must stay in order but must not run on the thread that
 * submits it (a client library's network thread completing futures) and does not deserve a thread of its own per
 * instance.
 *
 * <ul>
 *   <li>Order: tasks run in the order their {@code execute} calls took effect (one submitter: its call order), and
 *       never two at once; each task happens-before the next.</li>
 *   <li>Failures: a task that throws (an {@link Error} too) is reported to the {@link BackgroundErrorHandler} and the
 *       next task runs; the drain is never left stuck.</li>
 *   <li>Fairness: after {@code maxBurst} tasks in a row the drain gives its thread back and queues itself again, so
 *       that other work of a shared executor is not starved.</li>
 *   <li>Shutdown: when the executor refuses the drain ({@link RejectedExecutionException}, it is shutting down), the
 *       drain runs on the submitting thread, so no submitted task is lost.</li>
 * </ul>
 *
 * <p>Ownership: it does not own the executor; whoever made the executor shuts it down.
 *
 * <p>Thread safety: thread-safe; {@link #execute} may be called from any thread and never blocks (except to run the
 * drain itself when the executor refuses it).
 */
public final class SerialExecutor implements Executor {
    private final Executor executor;
    private final int maxBurst;
    private final BackgroundErrorHandler errors;
    private final String where;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    /** One drain task at a time: set by the submitter that schedules it, cleared by the drain when it finds no work. */
    private final AtomicBoolean draining = new AtomicBoolean();

    /**
     * @param executor runs the drain task (a pool, or one thread of its own)
     * @param maxBurst tasks run in a row before the drain queues itself again behind the executor's other work; at
     *     least 1 ({@link Integer#MAX_VALUE}: never, for an executor used by this drain alone)
     * @param errors told about each task that throws
     * @param where the report's place, as a log line would name it (for example "kafka: a producer completion
     *     failed; the other completions go on")
     */
    public SerialExecutor(Executor executor, int maxBurst, BackgroundErrorHandler errors, String where) {
        if (maxBurst < 1) {
            throw new IllegalArgumentException("Invalid maxBurst " + maxBurst + ": give at least 1");
        }
        this.executor = Objects.requireNonNull(executor, "executor");
        this.maxBurst = maxBurst;
        this.errors = Objects.requireNonNull(errors, "errors");
        this.where = Objects.requireNonNull(where, "where");
    }

    /** Queues {@code task}; it runs after every task queued before it, on the executor's thread. */
    @Override
    public void execute(Runnable task) {
        queue.add(Objects.requireNonNull(task, "task"));
        if (!draining.get() && draining.compareAndSet(false, true)) { // the plain read spares a CAS while draining
            if (!handOff()) {
                drain(); // the executor is shutting down: run what is queued here rather than lose it
            }
        }
    }

    /** @return true if the executor took the drain (whose flag the caller holds), false if it refused it */
    private boolean handOff() {
        try {
            executor.execute(this::drain);
            return true;
        } catch (RejectedExecutionException shuttingDown) {
            return false;
        }
    }

    private void drain() {
        int ran = 0;
        while (true) {
            Runnable task;
            while ((task = queue.poll()) != null) {
                try {
                    task.run();
                } catch (Throwable e) { // an Error too: the next tasks must still run
                    errors.onError(where, e);
                }
                if (++ran >= maxBurst && !queue.isEmpty()) {
                    if (handOff()) { // keeps the flag: the drain goes on behind the executor's other work
                        return;
                    }
                    ran = 0; // refused: go on here
                }
            }
            draining.set(false);
            // a task may have been queued between the last poll and the reset: take the drain back if so
            if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
