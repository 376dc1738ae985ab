package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.SessionConfig;

/**
 * The shared {@link LocalReadSession}, which also tells its topic when it closes: the tail watcher runs while
 * sessions exist. A damaged record reaches the engine as {@code IncomingBatch.failure} (see {@code FilesTopic.read}),
 * so it fails pulls of its own partition only.
 *
 * <p>Thread safety: confined to the consumer's fetch thread, except {@link #wakeup()}.
 */
final class FilesReadSession extends LocalReadSession {
    private final FilesTopic topic;
    private final Runnable onClose;
    private boolean closed;

    private FilesReadSession(FilesTopic topic, SessionConfig config, Runnable onClose) {
        super(topic, config);
        this.topic = topic;
        this.onClose = onClose;
    }

    static FilesReadSession open(FilesTopic topic, SessionConfig config, Runnable onClose) {
        return new FilesReadSession(topic, config, onClose);
    }

    /** Checks first that the topic is still the one this session opened (one {@code stat}). */
    @Override
    public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
        topic.checkLive();
        return super.poll(maxEvents, maxBytes, timeoutNanos);
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            if (!closed) {
                closed = true;
                onClose.run();
            }
        }
    }
}
