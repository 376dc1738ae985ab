package dev.diaspora.stream.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BackgroundErrorHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The drain-task idiom of {@link SerialExecutor}: order, one task at a time, failures, fairness, shutdown. */
@Timeout(30)
class SerialExecutorTest {
    private final List<String> reports = new CopyOnWriteArrayList<>();
    private final BackgroundErrorHandler errors = (where, e) -> reports.add(where + ": " + e.getMessage());
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void shutdown() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(20, TimeUnit.SECONDS), "the tasks did not all run");
    }

    @Test
    void tasksOfEachSubmitterRunInOrderAndNeverTwoAtOnce() throws InterruptedException {
        SerialExecutor serial = new SerialExecutor(pool, 7, errors, "test");
        int threads = 4;
        int perThread = 5_000;
        List<List<Integer>> seen = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            seen.add(new ArrayList<>()); // written only by the tasks, which never overlap
        }
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads * perThread);
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            submitters.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    int n = i;
                    serial.execute(() -> {
                        if (running.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        seen.get(thread).add(n);
                        running.decrementAndGet();
                        done.countDown();
                    });
                }
            }));
        }
        submitters.forEach(Thread::start);
        for (Thread t : submitters) {
            t.join();
        }
        await(done);
        assertEquals(0, overlaps.get(), "two tasks ran at once");
        for (int t = 0; t < threads; t++) {
            List<Integer> s = seen.get(t);
            assertEquals(perThread, s.size(), "submitter " + t);
            for (int i = 0; i < perThread; i++) {
                assertEquals(i, (int) s.get(i), "submitter " + t + ": task order");
            }
        }
        assertTrue(reports.isEmpty(), reports.toString());
    }

    @Test
    void aThrowingTaskIsReportedAndTheNextTasksRun() throws InterruptedException {
        SerialExecutor serial = new SerialExecutor(pool, Integer.MAX_VALUE, errors, "a completion failed");
        CountDownLatch done = new CountDownLatch(2);
        serial.execute(done::countDown);
        serial.execute(() -> {
            throw new IllegalStateException("bug");
        });
        serial.execute(() -> {
            throw new AssertionError("an Error"); // would leave a hand-written drain flag set
        });
        serial.execute(done::countDown);
        await(done);
        assertEquals(List.of("a completion failed: bug", "a completion failed: an Error"), reports);
        CountDownLatch later = new CountDownLatch(1);
        serial.execute(later::countDown);
        await(later); // the drain was given back and is scheduled again
    }

    @Test
    void aLongBurstLetsOtherWorkOfTheExecutorRun() throws InterruptedException {
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            SerialExecutor serial = new SerialExecutor(one, 10, errors, "test");
            CountDownLatch gate = new CountDownLatch(1);
            List<String> order = new CopyOnWriteArrayList<>();
            serial.execute(() -> {
                try {
                    gate.await(); // hold the drain until every task is queued
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 30; i++) {
                int n = i;
                serial.execute(() -> order.add("serial " + n));
            }
            one.execute(() -> order.add("other")); // queued on the executor behind the running drain
            gate.countDown();
            CountDownLatch done = new CountDownLatch(1);
            serial.execute(done::countDown);
            await(done);
            int other = order.indexOf("other");
            assertTrue(other > 0 && other < 30, "the other task waited for the whole queue: " + order);
        } finally {
            one.shutdownNow();
        }
    }

    @Test
    void aRefusingExecutorRunsTheTasksOnTheSubmittingThread() {
        ExecutorService closed = Executors.newSingleThreadExecutor();
        closed.shutdown();
        SerialExecutor serial = new SerialExecutor(closed, 1, errors, "test");
        List<String> ran = new ArrayList<>();
        serial.execute(() -> ran.add(Thread.currentThread().getName()));
        serial.execute(() -> ran.add(Thread.currentThread().getName()));
        assertEquals(List.of(Thread.currentThread().getName(), Thread.currentThread().getName()), ran);
    }

    @Test
    void aBurstBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SerialExecutor(pool, 0, errors, "test"));
    }
}
