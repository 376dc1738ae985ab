package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.OutgoingBatch;

/**
 * Implemented by the files driver's topics: appends a batch on the calling thread, for a server whose own thread may
 * do the I/O of a small append and then answer at once, without handing the batch to the topic's I/O thread and the
 * answer back (the netty partition server's event loop: two thread hand-offs fewer per append). Cast a {@code
 * TopicBackend} of the files driver to it.
 *
 * <p>Unlike {@link dev.diaspora.stream.spi.BatchAppender}, it blocks for the writes, and keeps no per-producer
 * order state: the caller appends the batches of a partition one at a time, in its order, and waits for each. A
 * stored batch is what an appender's would be (same records, same EventIDs rules, same durability), and tailing
 * readers are woken after it.
 *
 * <p>Thread safety: thread-safe.
 */
public interface DirectAppends {
    /**
     * @return false when every append is forced to the device ({@code durability: fsync}): a caller that must not
     *     wait for a device round trip (an event loop) uses the topic's appenders then
     */
    boolean directAppends();

    /**
     * Turns the exclusive-writer mode on or off for this topic in this process (off by default): for a process that
     * owns the topic's files (a partition server), appends keep each partition's file lock between appends, idle or
     * not, and so skip re-reading the log's end, the incarnation check and the reservation read per append. Another
     * process that appends to or deletes the topic is not shut out: the lock is released when it waits for it (seen
     * within about 2 ms on Linux; elsewhere nothing is kept), when it has been idle for 100 ms, and when the topic
     * closes. FORMAT.md section 9, "Exclusive writer".
     *
     * @param on whether appends through {@link #appendNow} and the topic's appenders keep the locks
     */
    void exclusiveWriter(boolean on);

    /**
     * Stores {@code batch} in {@code partition} on this thread.
     *
     * @param batch the events; their data buffers are not kept after the call returns
     * @return the EventID of the batch's first event
     * @throws dev.diaspora.stream.DiasporaException if it was not stored (nothing of it is visible), as an appender's
     *     future would fail
     */
    long appendNow(int partition, OutgoingBatch batch);
}
