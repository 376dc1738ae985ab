package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.internal.engine.ExecutorThreadPool;
import dev.diaspora.stream.internal.engine.InlineThreadPool;
import dev.diaspora.stream.internal.engine.PoolThread;
import dev.diaspora.stream.internal.engine.PriorityThreadPool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Port of the C++ PosixThreadPoolTest plus the Java contract: priorities, close, rejection, thread naming. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThreadPoolTest {
    private final List<ThreadPool> pools = new ArrayList<>();

    ThreadPool pool(int threads) {
        ThreadPool p = ThreadPool.create(threads);
        pools.add(p);
        return p;
    }

    @AfterEach
    void closePools() {
        for (ThreadPool p : pools) {
            p.close();
        }
    }

    /** Polls {@code condition} until it holds or {@code millis} pass; no fixed sleeps. */
    static void eventually(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + millis + " ms waiting for: " + what);
            }
            Thread.sleep(1);
        }
    }

    static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertTrue(latch.await(10, TimeUnit.SECONDS), "timed out waiting for " + what + " (" + latch.getCount()
                + " left)");
    }

    // -------------------------------------------------------------------------------------------------- basic

    @Test
    void shouldRunWorkSynchronouslyWithZeroThreads() {
        ThreadPool p = pool(0);
        assertEquals(0, p.threadCount());
        assertEquals(0, p.size());
        AtomicInteger counter = new AtomicInteger();
        Thread caller = Thread.currentThread();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        p.pushWork(() -> {
            counter.incrementAndGet();
            ranOn.set(Thread.currentThread());
        }, 5);
        assertEquals(1, counter.get(), "work ran before pushWork returned");
        assertEquals(0, p.size());
        assertSame(caller, ranOn.get());
        p.execute(counter::incrementAndGet);
        assertEquals(2, counter.get());
    }

    @Test
    void shouldMakeZeroThreadsTheInlinePool() {
        assertSame(ThreadPool.inline(), ThreadPool.create(0));
        assertSame(InlineThreadPool.INSTANCE, ThreadPool.inline());
        assertEquals(0, ThreadPool.inline().threadCount());
    }

    @Test
    void shouldPropagateExceptionsFromInlineWork() {
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ThreadPool.inline().pushWork(() -> {
                    throw boom;
                }, 1));
        assertSame(boom, e);
    }

    @Test
    void shouldRejectNegativeThreadCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadPool.create(-1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ThreadPool.create(Integer.MIN_VALUE));
        assertThrows(IllegalArgumentException.class, () -> new PriorityThreadPool(0, "diaspora-test"));
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 4})
    void shouldReportThreadCountAndEmptySize(int n) {
        ThreadPool p = pool(n);
        assertEquals(n, p.threadCount());
        assertEquals(0, p.size());
        assertTrue(p instanceof PriorityThreadPool, p.getClass().getName());
    }

    // ---------------------------------------------------------------------------------------------- execution

    @Test
    void shouldExecuteASingleItem() throws Exception {
        ThreadPool p = pool(1);
        CountDownLatch done = new CountDownLatch(1);
        p.pushWork(done::countDown, 0);
        assertTrue(done.await(2, TimeUnit.SECONDS));
    }

    @Test
    void shouldExecuteHundredItemsOnFourThreads() throws Exception {
        ThreadPool p = pool(4);
        CountDownLatch done = new CountDownLatch(100);
        AtomicInteger counter = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            p.pushWork(() -> {
                counter.incrementAndGet();
                done.countDown();
            }, i % 7);
        }
        await(done, "100 items");
        assertEquals(100, counter.get());
    }

    @Test
    void shouldSumFiveItemsToFifteen() throws Exception {
        ThreadPool p = pool(4);
        AtomicInteger sum = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(5);
        for (int i = 1; i <= 5; i++) {
            int v = i;
            p.pushWork(() -> {
                sum.addAndGet(v);
                done.countDown();
            }, 0);
        }
        await(done, "5 items");
        assertEquals(15, sum.get());
    }

    @Test
    void shouldKeepServingAfterATaskThrows() throws Exception {
        ThreadPool p = pool(1);
        p.pushWork(() -> {
            throw new IllegalStateException("expected by the test: a failing task");
        }, 1);
        CountDownLatch done = new CountDownLatch(1);
        p.pushWork(done::countDown, 1);
        await(done, "the task after a failing one");
    }

    // --------------------------------------------------------------------------------------------- priorities

    @Test
    void shouldRunAllPriorities() throws Exception {
        ThreadPool p = pool(2);
        int[] prios = {1, 100, 1000, Integer.MAX_VALUE};
        CountDownLatch done = new CountDownLatch(40);
        AtomicInteger[] counts = new AtomicInteger[prios.length];
        for (int k = 0; k < prios.length; k++) {
            counts[k] = new AtomicInteger();
        }
        for (int i = 0; i < 10; i++) {
            for (int k = 0; k < prios.length; k++) {
                AtomicInteger c = counts[k];
                p.pushWork(() -> {
                    c.incrementAndGet();
                    done.countDown();
                }, prios[k]);
            }
        }
        await(done, "40 tasks");
        for (AtomicInteger c : counts) {
            assertEquals(10, c.get());
        }
    }

    @Test
    void shouldRunHighestPriorityFirstAndFifoAmongTies() throws Exception {
        ThreadPool p = pool(1);
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        p.pushWork(() -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0);
        await(blocked, "the blocking task to start");

        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(12);
        // pushed interleaved so that neither push order nor priority alone gives the expected order
        int[] prios = {1, 100, 1000, Integer.MAX_VALUE};
        String[] names = {"p1", "p100", "p1000", "pMAX"};
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < prios.length; k++) {
                String tag = names[k] + "#" + round;
                p.pushWork(() -> {
                    order.add(tag);
                    done.countDown();
                }, prios[k]);
            }
        }
        assertEquals(12, p.size());
        release.countDown();
        await(done, "12 prioritised tasks");
        assertEquals(List.of("pMAX#0", "pMAX#1", "pMAX#2", "p1000#0", "p1000#1", "p1000#2", "p100#0", "p100#1",
                "p100#2", "p1#0", "p1#1", "p1#2"), order);
    }

    @Test
    void shouldOrderNegativeAndExtremePriorities() throws Exception {
        ThreadPool p = pool(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        p.pushWork(() -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0);
        await(blocked, "the blocking task to start");
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        int[] prios = {0, Integer.MIN_VALUE, -5, Integer.MAX_VALUE, 7, -1};
        CountDownLatch done = new CountDownLatch(prios.length + 1);
        for (int pr : prios) {
            p.pushWork(() -> {
                order.add(pr);
                done.countDown();
            }, pr);
        }
        // execute() uses DEFAULT_PRIORITY == MAX_VALUE: after the MAX task pushed before it, before everything else
        p.execute(() -> {
            order.add(Integer.MAX_VALUE - 1); // marker for "the execute() task"
            done.countDown();
        });
        release.countDown();
        await(done, "tasks");
        assertEquals(List.of(Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 7, 0, -1, -5, Integer.MIN_VALUE), order);
        assertEquals(Integer.MAX_VALUE, ThreadPool.DEFAULT_PRIORITY);
    }

    // ------------------------------------------------------------------------------------------ size tracking

    @Test
    void shouldTrackQueuedSize() throws Exception {
        ThreadPool p = pool(1);
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        p.pushWork(() -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0);
        await(blocked, "the blocking task to start");
        assertEquals(0, p.size(), "a running task is not queued");
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 5; i++) {
            p.pushWork(ran::incrementAndGet, i);
        }
        assertEquals(5, p.size());
        assertEquals(0, ran.get());
        release.countDown();
        eventually(() -> p.size() == 0, 5_000, "size() == 0 after release");
        eventually(() -> ran.get() == 5, 5_000, "5 tasks run");
    }

    // ------------------------------------------------------------------------------------------------- stress

    @Test
    void shouldRunTenThousandTasksOnEightThreads() throws Exception {
        ThreadPool p = pool(8);
        int n = 10_000;
        CountDownLatch done = new CountDownLatch(n);
        AtomicLong sum = new AtomicLong();
        Set<String> threadNames = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < n; i++) {
            int v = i;
            p.pushWork(() -> {
                sum.addAndGet(v);
                threadNames.add(Thread.currentThread().getName());
                done.countDown();
            }, i % 13);
        }
        await(done, n + " tasks");
        assertEquals((long) n * (n - 1) / 2, sum.get());
        assertTrue(threadNames.size() <= 8, threadNames.toString());
        eventually(() -> p.size() == 0, 5_000, "queue drained");
    }

    @Test
    void shouldAcceptConcurrentPushers() throws Exception {
        ThreadPool p = pool(4);
        int pushers = 8;
        int each = 100;
        CountDownLatch done = new CountDownLatch(pushers * each);
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService ex = Executors.newFixedThreadPool(pushers);
        try {
            for (int t = 0; t < pushers; t++) {
                int base = t * each;
                ex.execute(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (int i = 0; i < each; i++) {
                        int id = base + i;
                        p.pushWork(() -> {
                            seen.add(id);
                            done.countDown();
                        }, id % 5);
                    }
                });
            }
            start.countDown();
            await(done, "tasks of concurrent pushers");
            assertEquals(pushers * each, seen.size());
        } finally {
            ex.shutdownNow();
            assertTrue(ex.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // -------------------------------------------------------------------------------------------------- close

    @Test
    void shouldRunQueuedTasksOnCloseThenJoin() throws Exception {
        ThreadPool p = ThreadPool.create(2);
        CountDownLatch blocked = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 2; i++) {
            p.pushWork(() -> {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, 0);
        }
        await(blocked, "both threads busy");
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            p.pushWork(ran::incrementAndGet, i);
        }
        assertEquals(10, p.size());
        Thread closer = new Thread(p::close, "closer");
        closer.start();
        // close() must wait for the running and queued tasks
        closer.join(100);
        assertTrue(closer.isAlive(), "close() returned while tasks were still running");
        release.countDown();
        closer.join(10_000);
        assertFalse(closer.isAlive(), "close() did not return");
        assertEquals(10, ran.get(), "queued tasks ran before close() returned");
        assertEquals(0, p.size());
        p.close(); // idempotent
    }

    @Test
    void shouldJoinItsThreadsOnClose() throws Exception {
        Set<Thread> before = poolThreads();
        ThreadPool p = ThreadPool.create(3);
        CountDownLatch started = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 3; i++) {
            p.pushWork(() -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, 0);
        }
        await(started, "3 threads busy");
        Set<Thread> mine = poolThreads();
        mine.removeAll(before);
        assertEquals(3, mine.size(), "the pool started 3 threads: " + mine);
        release.countDown();
        p.close();
        for (Thread t : mine) {
            assertFalse(t.isAlive(), t.getName() + " is still alive after close()");
        }
    }

    @Test
    void shouldRejectWorkAfterClose() {
        ThreadPool p = ThreadPool.create(2);
        p.close();
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> p.pushWork(() -> { }, 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(RejectedExecutionException.class, () -> p.execute(() -> { }));
        p.close();
    }

    @Test
    void shouldCloseFromItsOwnThread() throws Exception {
        ThreadPool p = ThreadPool.create(2);
        CountDownLatch done = new CountDownLatch(1);
        p.pushWork(() -> {
            p.close(); // must not deadlock by joining itself
            done.countDown();
        }, 0);
        await(done, "close() from a pool thread");
        assertThrows(RejectedExecutionException.class, () -> p.pushWork(() -> { }, 1));
    }

    @Test
    void closingTheInlinePoolIsHarmless() {
        ThreadPool.inline().close();
        AtomicInteger ran = new AtomicInteger();
        ThreadPool.inline().pushWork(ran::incrementAndGet, 0);
        assertEquals(1, ran.get(), "the shared inline pool keeps working after close()");
    }

    // ------------------------------------------------------------------------------------------------ threads

    @Test
    void shouldUseNamedDaemonThreads() throws Exception {
        ThreadPool p = pool(3);
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 3; i++) {
            p.pushWork(() -> {
                seen.add(Thread.currentThread());
                all.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, 0);
        }
        await(all, "3 tasks on 3 threads");
        release.countDown();
        assertEquals(3, seen.size());
        Set<String> names = ConcurrentHashMap.newKeySet();
        for (Thread t : seen) {
            assertTrue(t.isDaemon(), t.getName() + " is not a daemon");
            assertTrue(t.getName().startsWith("diaspora-"), t.getName());
            assertTrue(t instanceof PoolThread, t.getClass().getName());
            names.add(t.getName());
        }
        assertEquals(3, names.size(), "thread names are distinct: " + names);
        CountDownLatch check = new CountDownLatch(1);
        AtomicReference<Boolean> onPoolThread = new AtomicReference<>();
        p.pushWork(() -> {
            onPoolThread.set(PoolThread.current());
            check.countDown();
        }, 0);
        await(check, "PoolThread.current()");
        assertTrue(onPoolThread.get());
        assertFalse(PoolThread.current());
    }

    @Test
    void shouldNameThreadsOfDifferentPoolsDifferently() throws Exception {
        ThreadPool a = pool(1);
        ThreadPool b = pool(1);
        AtomicReference<String> na = new AtomicReference<>();
        AtomicReference<String> nb = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(2);
        a.pushWork(() -> {
            na.set(Thread.currentThread().getName());
            done.countDown();
        }, 0);
        b.pushWork(() -> {
            nb.set(Thread.currentThread().getName());
            done.countDown();
        }, 0);
        await(done, "one task per pool");
        assertFalse(na.get().equals(nb.get()), na.get() + " vs " + nb.get());
    }

    /** {@code ThreadPool extends Executor}, whose contract is {@code execute(null)} throws NullPointerException. */
    @Test
    void shouldRejectNullWorkAtOnce() {
        ThreadPool p = pool(1);
        assertThrows(NullPointerException.class, () -> p.execute(null));
        assertThrows(NullPointerException.class, () -> p.pushWork(null, 1));
        assertEquals(0, p.size(), "null work must not be queued");
        assertThrows(NullPointerException.class, () -> ThreadPool.inline().execute(null));
    }

    static Set<Thread> poolThreads() {
        Set<Thread> out = ConcurrentHashMap.newKeySet();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t instanceof PoolThread && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }

    // --------------------------------------------------------------------------------------- executor pools

    @Nested
    class ExecutorPools {
        @Test
        void shouldWrapAnExecutorAndIgnorePriorities() throws Exception {
            ExecutorService ex = Executors.newSingleThreadExecutor();
            try {
                ThreadPool p = ThreadPool.of(ex);
                assertEquals(1, p.threadCount());
                assertTrue(p instanceof ExecutorThreadPool);
                assertEquals(3, ThreadPool.of(ex, 3).threadCount());
                CountDownLatch blocked = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                p.pushWork(() -> {
                    blocked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, 0);
                await(blocked, "blocking task");
                List<Integer> order = Collections.synchronizedList(new ArrayList<>());
                CountDownLatch done = new CountDownLatch(3);
                for (int pr : new int[] {1, 1000, Integer.MAX_VALUE}) {
                    p.pushWork(() -> {
                        order.add(pr);
                        done.countDown();
                    }, pr);
                }
                assertEquals(3, p.size());
                release.countDown();
                await(done, "executor tasks");
                assertEquals(List.of(1, 1000, Integer.MAX_VALUE), order, "an executor pool runs in its own order");
                eventually(() -> p.size() == 0, 5_000, "size back to 0");
                p.close();
                assertFalse(ex.isShutdown(), "closing the wrapper does not shut the executor down");
            } finally {
                ex.shutdownNow();
                assertTrue(ex.awaitTermination(10, TimeUnit.SECONDS));
            }
        }

        @Test
        void shouldRejectBadArguments() {
            assertThrows(NullPointerException.class, () -> ThreadPool.of(null));
            assertThrows(IllegalArgumentException.class, () -> ThreadPool.of(Runnable::run, 0));
            assertThrows(IllegalArgumentException.class, () -> ThreadPool.of(Runnable::run, -2));
        }

        /** A rejected task was never queued: size() must not count it. */
        @Test
        void shouldNotCountWorkTheExecutorRejected() {
            ThreadPool p = ThreadPool.of(r -> {
                throw new RejectedExecutionException("full");
            });
            assertThrows(RejectedExecutionException.class, () -> p.pushWork(() -> { }, 1));
            assertEquals(0, p.size(), "size() counts a task the executor rejected");
        }

        /** The ThreadPool contract: close() stops accepting work; pushWork then throws. */
        @Test
        void shouldRejectWorkAfterClose() {
            AtomicInteger ran = new AtomicInteger();
            ThreadPool p = ThreadPool.of(Runnable::run);
            p.pushWork(ran::incrementAndGet, 0);
            assertEquals(1, ran.get());
            p.close();
            assertThrows(RejectedExecutionException.class, () -> p.pushWork(ran::incrementAndGet, 0),
                    "pushWork after close() must throw RejectedExecutionException");
            assertEquals(1, ran.get());
        }
    }
}
