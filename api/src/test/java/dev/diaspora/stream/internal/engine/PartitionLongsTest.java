package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per-partition values keep every update made while they grow (partitions added to an open consumer's topic). */
class PartitionLongsTest {
    @Test
    void newPartitionsStartAtTheInitialValueAndOldOnesKeepTheirs() {
        PartitionLongs v = new PartitionLongs(3, -1);
        v.set(2, 42);
        v.grow(100);
        assertEquals(100, v.length());
        assertEquals(42, v.get(2));
        for (int p = 3; p < 100; p++) {
            assertEquals(-1, v.get(p), "partition " + p);
        }
        v.grow(50); // never shrinks
        assertEquals(100, v.length());
    }

    @Test
    @Timeout(30)
    void updatesRacingWithGrowthAreNeverLost() throws Exception {
        PartitionLongs v = new PartitionLongs(4, 0);
        int threads = 4;
        int perThread = 200_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int p = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    v.incrementAndGet(p);
                }
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        for (int n = 5; n < 2000; n += 7) {
            v.grow(n); // copies the chunk list while the others increment
        }
        for (Thread th : ts) {
            th.join();
        }
        for (int p = 0; p < threads; p++) {
            assertEquals(perThread, v.get(p), "increments of partition " + p + " made during growth");
        }
    }
}
