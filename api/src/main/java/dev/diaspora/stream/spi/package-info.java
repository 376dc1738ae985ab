/**
 * The driver SPI: the only thing a driver implements. A driver provides storage and transport; the api module's
 * engine provides the semantics (batching, back-pressure, ordering, selection, prefetch, acknowledgements) on top.
 *
 * <p>Entry point: {@link dev.diaspora.stream.spi.DriverProvider}, registered through {@code ServiceLoader}. It opens
 * a {@link dev.diaspora.stream.spi.Backend} (topic admin), which opens {@link dev.diaspora.stream.spi.TopicBackend}s,
 * which make one {@link dev.diaspora.stream.spi.Appender} per producer (a
 * {@link dev.diaspora.stream.spi.BatchAppender} if the engine batches, a {@link dev.diaspora.stream.spi.RecordAppender}
 * if the driver's client does) and one {@link dev.diaspora.stream.spi.ReadSession} per consumer. Log-structured
 * drivers (a partition is an append-only log read by offset) implement {@link dev.diaspora.stream.spi.LocalTopic} and
 * get their read sessions from {@link dev.diaspora.stream.spi.LocalReadSession}.
 *
 * <p>Ownership and threading, for every driver:
 * <ul>
 *   <li>At most {@code maxInFlightBatches} appends ({@code AppenderConfig.maxInFlight}) are outstanding per
 *       partition and per appender.</li>
 *   <li>Appends of one partition complete in call order, or every later in-flight append of that partition fails
 *       once one fails (no reordering on retry).</li>
 *   <li>The engine never changes buffer positions; a driver reads data only with absolute operations or on
 *       duplicates, and never keeps a reference to event data after the append future completes.</li>
 *   <li>Completions may run on driver threads; the engine runs no user code under a driver lock, and a driver must
 *       not hold a lock while completing a future.</li>
 *   <li>A read session is used by one thread (the consumer's fetch thread), except {@code wakeup()}.</li>
 * </ul>
 *
 * <p>Time and retries: a driver that waits and tries again (a lost connection, a file caught mid-write) paces the
 * tries with the one retry policy, {@link dev.diaspora.stream.spi.Backoff}, and reads time from a
 * {@link dev.diaspora.stream.spi.Clock} ({@code Clock.system()} in production), which its tests can replace to count
 * the pauses instead of sleeping through them.
 */
package dev.diaspora.stream.spi;
