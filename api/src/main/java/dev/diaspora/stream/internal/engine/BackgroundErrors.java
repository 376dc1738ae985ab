package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The logging {@link BackgroundErrorHandler} and the guard around a user's handler. Not API. */
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

    /**
     * @return {@code handler} (the logging one if null) wrapped so that an exception it throws is logged and ignored,
     *     as {@link BackgroundErrorHandler} promises; drivers receive handlers already wrapped
     */
    static BackgroundErrorHandler guarded(BackgroundErrorHandler handler) {
        if (handler == null || handler == LOGGING) {
            return LOGGING;
        }
        if (handler instanceof Guarded) {
            return handler;
        }
        return new Guarded(handler);
    }

    private static final class Guarded implements BackgroundErrorHandler {
        private final BackgroundErrorHandler handler;

        Guarded(BackgroundErrorHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        @Override
        public void onError(String where, Throwable error) {
            try {
                handler.onError(where, error);
            } catch (RuntimeException e) {
                LOG.warn("the background error handler threw while told about '{}'; ignored", where, e);
                log(where, error);
            }
        }
    }
}
