package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link BackgroundErrorHandler#guarded}: the one guard around a user's handler, used by the engine and by code that
 * runs library threads outside it (the netty partition server). A handler that throws is logged and ignored.
 */
class BackgroundErrorHandlerTest {
    /** Runs {@code r} with {@code System.err} (where slf4j-simple logs in tests) captured, and returns what it wrote. */
    private static String stderrOf(Runnable r) {
        PrintStream original = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.err.flush();
            System.setErr(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aThrowingHandlerIsCalledThenLoggedAndIgnored() {
        List<String> told = new CopyOnWriteArrayList<>();
        BackgroundErrorHandler guarded = BackgroundErrorHandler.guarded((where, e) -> {
            told.add(where + ": " + e.getMessage());
            throw new IllegalStateException("handler bug");
        });
        String log = stderrOf(() -> guarded.onError("topic 't': notifier round failed",
                new DiasporaException("disk unreadable")));
        assertEquals(List.of("topic 't': notifier round failed: disk unreadable"), told);
        assertTrue(log.contains("the background error handler threw while told about 'topic 't': notifier round"
                + " failed'; ignored") && log.contains("handler bug"), log);
        assertTrue(log.contains("topic 't': notifier round failed: dev.diaspora.stream.DiasporaException: disk"
                + " unreadable (thread " + Thread.currentThread().getName() + ")"),
                "the original failure is logged as the logging handler would: " + log);
    }

    @Test
    void aHandlerThatReturnsIsOnlyCalled() {
        List<Throwable> told = new CopyOnWriteArrayList<>();
        BackgroundErrorHandler guarded = BackgroundErrorHandler.guarded((where, e) -> told.add(e));
        RuntimeException failure = new RuntimeException("x");
        String log = stderrOf(() -> guarded.onError("here", failure));
        assertEquals(List.of(failure), told);
        assertEquals("", log, "nothing is logged when the handler returns normally");
    }

    @Test
    void anErrorFromTheHandlerIsNotSwallowed() {
        BackgroundErrorHandler guarded = BackgroundErrorHandler.guarded((where, e) -> {
            throw new AssertionError("fatal");
        });
        assertThrows(AssertionError.class, () -> guarded.onError("here", new RuntimeException("x")));
    }

    @Test
    void wrappingIsIdempotentAndNullMeansLogging() {
        BackgroundErrorHandler user = (where, e) -> { };
        BackgroundErrorHandler once = BackgroundErrorHandler.guarded(user);
        assertSame(once, BackgroundErrorHandler.guarded(once), "a guarded handler is not wrapped again");
        assertSame(BackgroundErrorHandler.logging(), BackgroundErrorHandler.guarded(null));
        assertSame(BackgroundErrorHandler.logging(), BackgroundErrorHandler.guarded(BackgroundErrorHandler.logging()),
                "the logging handler never throws: it needs no guard");
    }
}
