package dev.diaspora.stream.tck;

import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.DriverProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver conformance kit: every contract of the TCK, run against one driver. A driver's test module extends it
 * with its name and options; everything else has a default:
 *
 * <pre>{@code
 * class MemoryTckTest extends DriverTck {
 *     protected String driverName() {
 *         return "memory";
 *     }
 *
 *     protected Metadata driverOptions(Path dir) {
 *         return Metadata.of("{}");
 *     }
 * }
 * }</pre>
 *
 * <p>For every test it opens the driver by name through {@link Driver#open(String, Metadata)} (so
 * {@code ServiceLoader} discovery is tested too) with {@link #driverOptions(Path)} of a fresh temporary directory,
 * closes it after the test, and then checks that every thread named {@code diaspora-*} that the test started has
 * ended within {@link TckEnvironment#threadExitTimeout()} (S10: {@code Driver.close()} joins the library's
 * threads).
 *
 * <p>Capabilities default to those the driver's {@link DriverProvider} declares; override {@link #capabilities()} to
 * narrow or widen them (for example a driver that is persistent only with some options). Tests that need a capability
 * the driver lacks are reported as skipped, with the reason.
 *
 * <p>Thread safety: JUnit makes one instance per test; the fixture methods may be called from threads the test
 * starts.
 */
public abstract class DriverTck implements TopicContract, ProducerContract, BackPressureContract, ConsumerContract,
        PullContract, ReadErrorContract, ConsumerDataContract, DataSelectionContract, PositionContract,
        ConcurrencyContract, PropertyContract, BadInputContract, IncarnationContract, GroupContract,
        GroupFailureContract, CreateIfAbsentContract, RetentionContract, WakeupContract, TopicChangeContract {
    private static final String RUN_ID = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36);
    private static final AtomicInteger TOPIC_COUNTER = new AtomicInteger();

    /** The test's temporary directory, given to {@link #driverOptions(Path)}. */
    @TempDir
    protected Path tempDir;

    private final AtomicReference<Driver> driver = new AtomicReference<>();
    private final TckEnvironment environment = environment();
    private Set<Thread> threadsBefore;
    private String testName = "test";
    private volatile Capabilities capabilities;

    /** @return the name of the driver under test, as registered with its {@link DriverProvider} */
    protected abstract String driverName();

    /**
     * @param dir a fresh directory for this test (the same one again after {@link #reopenDriver()})
     * @return the options for {@code Driver.open}
     */
    protected abstract Metadata driverOptions(Path dir);

    /**
     * The environment of this test class; by default the {@code tck.*} system properties (see
     * {@link TckEnvironment}). Called once per test, from the constructor: it must not use instance state.
     */
    protected TckEnvironment environment() {
        return TckEnvironment.fromSystemProperties();
    }

    /** The capabilities of the driver, by default those its {@link DriverProvider} declares. */
    @Override
    public Capabilities capabilities() {
        if (capabilities == null) {
            capabilities = findProvider(driverName()).capabilities();
        }
        return capabilities;
    }

    @Override
    public final TckEnvironment env() {
        return environment;
    }

    @Override
    public final Driver driver() {
        Driver d = driver.get();
        if (d == null) {
            throw new IllegalStateException("the driver is not open (outside a test?)");
        }
        return d;
    }

    @Override
    public final Driver reopenDriver() {
        Driver old = driver.getAndSet(null);
        if (old != null) {
            closeWithDeadline(old);
        }
        Driver d = Driver.open(driverName(), driverOptions(tempDir));
        driver.set(d);
        return d;
    }

    @Override
    public final Metadata currentDriverOptions() {
        return driverOptions(tempDir);
    }

    @Override
    public final String newTopicName() {
        String base = testName.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(Locale.ROOT);
        if (base.length() > 40) {
            base = base.substring(base.length() - 40);
        }
        base = base.replaceAll("^-+|-+$", "");
        return runTopicPrefix() + TOPIC_COUNTER.incrementAndGet() + "-" + base;
    }

    /**
     * The start of every topic name {@link #newTopicName()} gives in this JVM (a run id drawn at class loading), so
     * that a driver's test can delete its own topics from a shared server without touching those of another run
     * (another build on the same machine, or a developer's).
     *
     * @return {@code tck-<run id>-}
     */
    public static String runTopicPrefix() {
        return "tck-" + RUN_ID + "-";
    }

    /** Opens the driver for a test, after noting which library threads exist already. */
    @BeforeEach
    protected final void openDriverForTest(TestInfo info) {
        testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
        threadsBefore = libraryThreads();
        driver.set(Driver.open(driverName(), driverOptions(tempDir)));
    }

    /** Closes the driver and checks that no library thread outlives it. */
    @AfterEach
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    protected final void closeDriverAndCheckThreads() {
        Driver d = driver.getAndSet(null);
        if (d == null) {
            return;
        }
        closeWithDeadline(d);
        Driver again = d;
        again.close(); // idempotent: a second close must not throw
        long deadline = System.nanoTime() + env().threadExitTimeout().toNanos();
        List<Thread> leaked = leakedThreads();
        while (!leaked.isEmpty() && System.nanoTime() - deadline < 0) {
            Tck.sleepMillis(10);
            leaked = leakedThreads();
        }
        if (!leaked.isEmpty()) {
            fail("S10: " + leaked.size() + " library thread(s) still alive " + env().threadExitTimeout()
                    + " after Driver.close(): " + leaked.stream().map(DriverTck::describeThread)
                            .collect(Collectors.joining("; ")));
        }
    }

    private void closeWithDeadline(Driver d) {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread closer = new Thread(() -> {
            try {
                d.close();
            } catch (Throwable t) {
                error.set(t);
            }
        }, "tck-driver-closer");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(env().closeTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while closing the driver", e);
        }
        if (closer.isAlive()) {
            fail("Driver.close() did not return within " + env().closeTimeout() + "; it is blocked at "
                    + Arrays.stream(closer.getStackTrace()).limit(8).map(String::valueOf)
                            .collect(Collectors.joining(" <- ")));
        }
        if (error.get() != null) {
            throw new AssertionError("Driver.close() threw " + error.get(), error.get());
        }
    }

    private List<Thread> leakedThreads() {
        List<Thread> out = new ArrayList<>();
        for (Thread t : libraryThreads()) {
            if (!threadsBefore.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /** @return live threads named {@code diaspora-*} */
    static Set<Thread> libraryThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("diaspora-"))
                .collect(Collectors.toSet());
    }

    private static String describeThread(Thread t) {
        StackTraceElement[] st = t.getStackTrace();
        return t.getName() + " (" + t.getState() + (st.length > 0 ? " at " + st[0] : "") + ")";
    }

    /**
     * Finds the provider named {@code name} through {@code ServiceLoader}.
     *
     * @throws AssertionError listing the providers found if none has that name
     */
    static DriverProvider findProvider(String name) {
        List<String> names = new ArrayList<>();
        for (DriverProvider p : ServiceLoader.load(DriverProvider.class)) {
            if (p.name().equals(name)) {
                return p;
            }
            names.add(p.name());
        }
        throw new AssertionError("no DriverProvider named '" + name + "' is registered in"
                + " META-INF/services/dev.diaspora.stream.spi.DriverProvider; found " + names);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + driverName() + ", " + environment + "]";
    }
}
