package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The leak check can fail: a buffer dropped without release is reported to {@link LeakRecorder}. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LeakRecorderTest {
    @Test
    void shouldRecordBufferDroppedWithoutRelease() throws InterruptedException {
        String hint = "deliberate leak " + System.nanoTime();
        leak(hint);
        List<String> found = List.of();
        for (int i = 0; i < 100 && found.isEmpty(); i++) {
            System.gc();
            Thread.sleep(20);
            ByteBufAllocator.DEFAULT.buffer(8).release(); // allocations poll the detector's queue
            found = LeakRecorder.drain(hint); // only this leak: NoLeaksExtension still sees any other
        }
        assertFalse(found.isEmpty(), "the deliberately leaked buffer was not reported");
    }

    private static void leak(String hint) {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(8);
        b.touch(hint);
    }
}
