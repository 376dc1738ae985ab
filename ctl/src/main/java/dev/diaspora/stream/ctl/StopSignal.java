package dev.diaspora.stream.ctl;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the long-running commands ({@code consume --follow}, {@code fifo}, {@code forward}) learn that they should stop
 * and flush: SIGINT or SIGTERM, or a call to {@link #requestStop()}.
 *
 * <p>When the run owns the process, it installs handlers for SIGINT and SIGTERM (through {@code sun.misc.Signal},
 * looked up reflectively; JDK 17 to 25 have it in {@code jdk.unsupported}) so that the command stops, flushes and
 * returns normally: the exit status is then 0, as with the C++ tool. A second signal exits at once with status 1. A
 * shutdown hook covers everything else that ends the JVM (and signals, if the handlers cannot be installed): it
 * requests the stop and waits, at most {@link #HOOK_WAIT}, for the command to finish flushing.
 *
 * <p>Thread safety: thread-safe.
 */
final class StopSignal implements AutoCloseable {
    static final Duration HOOK_WAIT = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(StopSignal.class);

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private volatile int signals;

    private StopSignal(boolean install) {
        if (install) {
            hook = new Thread(() -> {
                requestStop();
                try {
                    finished.await(HOOK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "diaspora-ctl-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            handle("TERM");
            handle("INT");
        } else {
            hook = null;
        }
    }

    /** @return a stop signal; with {@code ctx.ownsProcess()} it also listens to SIGINT, SIGTERM and JVM shutdown */
    static StopSignal install(CtlContext ctx) {
        return new StopSignal(ctx.ownsProcess());
    }

    /** Asks the command to stop. Idempotent. */
    void requestStop() {
        stop.countDown();
    }

    /** @return true once a stop was requested */
    boolean isStopRequested() {
        return stop.getCount() == 0;
    }

    /**
     * Waits for a stop request.
     *
     * @return true if one came within {@code timeout}
     */
    boolean await(Duration timeout) throws InterruptedException {
        return stop.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Tells the shutdown hook that the command has flushed and released everything. */
    @Override
    public void close() {
        finished.countDown();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run; it sees 'finished'
            }
        }
    }

    private void onSignal(String name) {
        if (finished.getCount() == 0) {
            Runtime.getRuntime().halt(1);
        }
        if (++signals > 1) {
            LOG.warn("Second SIG{}: exiting without waiting for the flush", name);
            Runtime.getRuntime().halt(1);
        }
        LOG.info("SIG{} received: stopping", name);
        requestStop();
    }

    private void handle(String name) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            InvocationHandler ih = (proxy, method, args) -> {
                switch (method.getName()) {
                    case "handle":
                        onSignal(name);
                        return null;
                    case "hashCode":
                        return System.identityHashCode(proxy);
                    case "equals":
                        return proxy == args[0];
                    default:
                        return "diaspora-ctl SIG" + name + " handler";
                }
            };
            Object h = Proxy.newProxyInstance(StopSignal.class.getClassLoader(), new Class<?>[] {handler}, ih);
            Method m = signal.getMethod("handle", signal, handler);
            m.invoke(null, signal.getConstructor(String.class).newInstance(name), h);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("Cannot handle SIG{} ({}); the shutdown hook will flush instead", name, e.toString());
        }
    }
}
