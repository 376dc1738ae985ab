package dev.diaspora.stream;

/**
 * Receives the outcome of one push without a future: the allocation-free alternative to
 * {@link Producer#push(Metadata, DataView)}.
 *
 * <p>Threading: called once per push on a driver or engine completion thread, in push order per partition, outside
 * every engine lock. It must not block.
 */
@FunctionalInterface
public interface PushCallback {
    /**
     * @param partition the partition the event went to, or -1 if it failed before a partition was chosen
     * @param id the EventID, or -1 on failure
     * @param error null on success, else the failure (a {@link DiasporaException})
     */
    void onComplete(int partition, long id, Throwable error);
}
