package dev.diaspora.stream.spi;

/**
 * Stores events for one producer: a {@link BatchAppender} or a {@link RecordAppender}, one per kind of driver.
 *
 * <ul>
 *   <li>{@link BatchAppender} (log-structured drivers: files, memory, netty, redis): the engine batches per
 *       partition and hands each batch over; the batch's events get consecutive EventIDs.</li>
 *   <li>{@link RecordAppender} (drivers whose client batches by itself and may interleave other writers' records,
 *       such as Kafka and RabbitMQ streams): the engine skips its batcher, keeps validation, selection,
 *       serialization and the producer-wide memory bound, and hands over one event at a time.</li>
 * </ul>
 *
 * <p>The interface is sealed: a driver implements one of the two, and the engine picks its path once, when the
 * producer opens, from the type {@link TopicBackend#appender} returns.
 *
 * <p>Thread safety: the append methods may be called from several threads, but for one partition the engine calls
 * them in push order (STRICT). Ownership: the producer owns its appender and closes it when it closes.
 */
public sealed interface Appender extends AutoCloseable permits BatchAppender, RecordAppender {
    /**
     * Releases the appender after the engine has waited for every outstanding append (or given up waiting, when
     * the producer's close timed out). Idempotent. Does nothing unless overridden.
     */
    @Override
    default void close() {
    }
}
