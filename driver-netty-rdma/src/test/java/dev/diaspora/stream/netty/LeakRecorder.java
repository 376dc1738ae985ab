package dev.diaspora.stream.netty;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * A Netty leak detector that also records every leak it reports, so that {@link NoLeaksExtension} can fail the
 * tests. Installed for the module's test JVM by {@code -Dio.netty.customResourceLeakDetector} (see the module's
 * pom.xml); Netty creates one per tracked resource type.
 *
 * <p>Thread safety: thread-safe.
 *
 * @param <T> the tracked resource type
 */
public final class LeakRecorder<T> extends ResourceLeakDetector<T> {
    private static final List<String> LEAKS = new ArrayList<>(); // guarded by itself
    private static volatile boolean installed;

    public LeakRecorder(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        installed = true;
    }

    public LeakRecorder(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        super.reportTracedLeak(resourceType, records);
        record("LEAK: " + resourceType + ".release() was not called" + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        super.reportUntracedLeak(resourceType);
        record("LEAK: " + resourceType + ".release() was not called (no records)");
    }

    private static void record(String leak) {
        synchronized (LEAKS) {
            LEAKS.add(leak);
        }
    }

    /** @return true once Netty created a detector of this class (the system property works) */
    static boolean installed() {
        return installed;
    }

    /** @return the leaks reported since the last call, and forgets them */
    static List<String> drain() {
        return drain("");
    }

    /** @return the leaks reported whose records contain {@code hint}, and forgets them (keeps the others) */
    static List<String> drain(String hint) {
        synchronized (LEAKS) {
            List<String> l = new ArrayList<>();
            LEAKS.removeIf(leak -> leak.contains(hint) && l.add(leak));
            return l;
        }
    }
}
