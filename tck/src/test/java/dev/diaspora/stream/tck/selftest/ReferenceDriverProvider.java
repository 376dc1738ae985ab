package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.DriverProvider;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.OptionSpec;
import dev.diaspora.stream.spi.Options;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The TCK's own reference driver, {@code tck-reference}: a small in-memory driver on the SPI that the TCK must pass,
 * with a {@code fault} option that injects one deliberate defect (see {@link Fault}) so the TCK can prove that its
 * tests fail against broken drivers.
 *
 * <p>Options: {@code fault} (default {@code none}); {@code store} (default empty: state lives in the driver
 * instance; a non-empty name keeps the state in a JVM-wide store of that name, so that it survives closing and
 * reopening the driver, until {@link #dropStore(String)}).
 *
 * <p>Thread safety: thread-safe.
 */
public final class ReferenceDriverProvider implements DriverProvider {
    /** The driver name. */
    public static final String NAME = "tck-reference";
    /** Option: the deliberate defect. */
    public static final String FAULT = "fault";
    /**
     * Option: {@code batch} (default, a {@code BatchAppender}) or {@code record} (a {@code RecordAppender}), the SPI's
     * two kinds of appender.
     */
    public static final String APPEND_MODE = "append_mode";
    /** Option: the name of a JVM-wide store that outlives the driver instance. */
    public static final String STORE = "store";

    private static final Map<String, ReferenceStore> STORES = new ConcurrentHashMap<>();
    private static final AtomicInteger LEAKS = new AtomicInteger();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "In-memory reference driver of the TCK's self-test, with injectable faults.";
    }

    @Override
    public OptionSchema options() {
        return OptionSchema.of(
                OptionSpec.string(FAULT).oneOf(Fault.optionValues()).defaultValue("none")
                        .doc("A deliberate defect to inject."),
                OptionSpec.string(APPEND_MODE).oneOf("batch", "record").defaultValue("batch")
                        .doc("How the engine hands events over: batch (BatchAppender.append) or record"
                                + " (RecordAppender.send)."),
                OptionSpec.string(STORE).defaultValue("")
                        .doc("Name of a JVM-wide store that keeps topics across driver instances; empty: per"
                                + " instance."));
    }

    @Override
    public OptionSchema topicOptions() {
        return OptionSchema.topicOptions(dev.diaspora.stream.spi.Retention.specs(false));
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(false, false, true, true, true, 64L << 20, true, true, true)
                .withTopicChanges(true, dev.diaspora.stream.spi.Retention.RETENTION_MS,
                        dev.diaspora.stream.spi.Retention.RETENTION_BYTES);
    }

    @Override
    public Backend open(Options options) {
        String store = options.string(STORE);
        Fault fault = Fault.parse(options.string(FAULT));
        ReferenceStore s = store == null || store.isEmpty() || fault == Fault.FORGET_ON_REOPEN ? new ReferenceStore()
                : STORES.computeIfAbsent(store, k -> new ReferenceStore());
        if (fault == Fault.LEAK_THREAD) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "diaspora-" + NAME + "-leaker-" + LEAKS.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
        ReferenceBackend backend = new ReferenceBackend(s, fault, "record".equals(options.string(APPEND_MODE)));
        if (fault == Fault.NON_DAEMON_THREAD) {
            Thread t = new Thread(() -> {
                long deadline = System.nanoTime() + 30_000_000_000L; // never keeps a JVM alive for long
                while (!backend.closed() && System.nanoTime() - deadline < 0) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "diaspora-" + NAME + "-worker-" + LEAKS.incrementAndGet());
            t.setDaemon(false); // the fault
            t.start();
        }
        return backend;
    }

    /** Forgets a JVM-wide store (tests call it when they are done with it). */
    public static void dropStore(String store) {
        STORES.remove(store);
    }
}
