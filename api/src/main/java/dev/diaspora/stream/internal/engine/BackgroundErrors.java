package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The logging {@link BackgroundErrorHandler} (the guard around a user's handler is {@link BackgroundErrorHandler#guarded}). Not API. */
public final class BackgroundErrors {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundErrorHandler.class);

    /** See {@link BackgroundErrorHandler#logging()}. */
    public static final BackgroundErrorHandler LOGGING = BackgroundErrors::log;

    private BackgroundErrors() {
    }

    private static void log(String where, Throwable error) {
        String thread = Thread.currentThread().getName();
        if (error instanceof Error) {
            LOG.error("{}: {} (thread {})", where, error, thread, error);
        } else if (error instanceof DiasporaException) {
            LOG.warn("{}: {} (thread {})", where, error, thread);
        } else {
            LOG.warn("{}: {} (thread {})", where, error, thread, error);
        }
    }
}
