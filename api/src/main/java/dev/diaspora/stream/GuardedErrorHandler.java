package dev.diaspora.stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's {@link BackgroundErrorHandler} behind the guard of {@link BackgroundErrorHandler#guarded}: an exception the
 * handler throws is logged with the failure it was told about, and the calling library thread goes on.
 *
 * <p>Thread safety: as thread-safe as the handler it wraps (it adds no state).
 */
final class GuardedErrorHandler implements BackgroundErrorHandler {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundErrorHandler.class);

    private final BackgroundErrorHandler handler;

    GuardedErrorHandler(BackgroundErrorHandler handler) {
        this.handler = handler;
    }

    @Override
    public void onError(String where, Throwable error) {
        try {
            handler.onError(where, error);
        } catch (RuntimeException e) {
            LOG.warn("the background error handler threw while told about '{}'; ignored", where, e);
            BackgroundErrorHandler.logging().onError(where, error);
        }
    }
}
