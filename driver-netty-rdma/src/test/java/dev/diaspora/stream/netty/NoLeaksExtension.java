package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran (or before, in an earlier class whose leaked
 * buffers were collected late). Registered for every test class of the module by JUnit's extension auto-detection
 * (test resources: junit-platform.properties and META-INF/services), the TCK classes included.
 *
 * <p>Netty reports a leak when a tracked buffer that was never released is garbage-collected and a later allocation
 * polls the detector's queue: after the class, this collects garbage and allocates a few buffers, twice.
 *
 * <p>Thread safety: stateless.
 */
public final class NoLeaksExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "tests of this module run with -Dio.netty.leakDetection.level=paranoid (see its pom.xml)");
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50);
            for (int i = 0; i < 8; i++) {
                ByteBufAllocator.DEFAULT.buffer(16).release();
                ByteBufAllocator.DEFAULT.directBuffer(16).release();
                PooledByteBufAllocator.DEFAULT.buffer(16).release();
                Unpooled.buffer(16).release();
            }
        }
        assertTrue(LeakRecorder.installed(), "-Dio.netty.customResourceLeakDetector=" + LeakRecorder.class.getName()
                + " is missing from the test JVM's arguments (see the module's pom.xml)");
        List<String> leaks = LeakRecorder.drain();
        assertTrue(leaks.isEmpty(), () -> leaks.size() + " Netty buffer leak(s) reported during or before "
                + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
    }
}
