package dev.diaspora.stream;

import dev.diaspora.stream.internal.engine.BackgroundErrors;

/**
 * Told about failures on the library's own threads that no future, callback or pull would otherwise carry: a
 * producer's drain task, a consumer's fetch thread failing to store acknowledgements or to keep its group membership,
 * a task of a driver's thread pool, and the drivers' background threads (the kafka driver's completion drain, the
 * netty partition server's tasks, the redis and rabbitmq drivers' schedulers). A failure that already reaches a push's
 * future, a {@link PushErrorHandler} or a pull is not reported here too.
 *
 * <p>Set it per driver with {@link Driver#open(String, Metadata, BackgroundErrorHandler)} (the driver's threads, and
 * the default of its producers and consumers), or per producer or consumer with
 * {@link ProducerOptions#onBackgroundError(BackgroundErrorHandler)} and
 * {@link ConsumerOptions#onBackgroundError(BackgroundErrorHandler)}. Without one, {@link #logging()} is used.
 *
 * <p>Threading: called on the library thread that met the failure (its name, {@code diaspora-<driver>-<role>-<n>} or
 * the driver's own, is {@code Thread.currentThread().getName()}), possibly from several threads at once, sometimes
 * while that thread holds a lock of its own. It must be thread-safe and must not block: hand slow work (alerting, a
 * dead-letter write) to another thread. An exception it throws is logged and ignored; the library thread goes on.
 *
 * <p>What happens after a report is the place's rule, not the handler's: most places retry (the report says "will
 * retry"), a fetch thread that failed stops reading (its consumer's pulls fail until it is closed).
 */
@FunctionalInterface
public interface BackgroundErrorHandler {
    /**
     * @param where the place that failed, as a log line would name it (for example "consumer 'c' of topic 't': cannot
     *     persist acknowledgements yet, will retry"); never null
     * @param error what failed; never null
     */
    void onError(String where, Throwable error);

    /**
     * The default: logs each failure through SLF4J (logger {@code dev.diaspora.stream.BackgroundErrorHandler}) with
     * the place and the thread, at WARN for an exception (with its stack trace unless it is a
     * {@link DiasporaException}, whose message says what failed) and at ERROR with the stack trace for an
     * {@link Error}.
     *
     * @return the logging handler (one shared, stateless instance)
     */
    static BackgroundErrorHandler logging() {
        return BackgroundErrors.LOGGING;
    }

    /**
     * Wraps a handler so that an exception it throws is logged and ignored, as this interface promises to the threads
     * that call it: the wrapper logs that the handler threw (WARN, with the handler's exception) and then the original
     * failure as {@link #logging()} would, and returns normally. An {@link Error} the handler throws is not caught.
     * For code that runs library threads of its own and takes a user's handler (a driver, an embedded server): wrap the
     * handler once where it is given, then call it freely.
     *
     * @param handler the user's handler; null means {@link #logging()}
     * @return {@code handler} wrapped; {@link #logging()} itself (which never throws) and an already wrapped handler are
     *     returned as they are, so wrapping twice costs nothing
     */
    static BackgroundErrorHandler guarded(BackgroundErrorHandler handler) {
        if (handler == null || handler == logging()) {
            return logging();
        }
        return handler instanceof GuardedErrorHandler ? handler : new GuardedErrorHandler(handler);
    }
}
