package dev.diaspora.stream;

/**
 * {@link Producer#flush()} (and so {@code close}) fails with it when pushes failed since the previous flush: invalid
 * metadata, a validator's rejection, an event too large, or a storage error. Each of those events' own future,
 * {@link PushCallback} and {@link ProducerOptions#onError(PushErrorHandler)} handler carries its failure; this one
 * says how many there were and carries the first as its cause, so a program that only flushes still notices. The
 * events that did not fail are stored. The count restarts at each flush.
 *
 * <p>Thread safety: immutable.
 */
public class EventsFailedException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    private final long count;

    /**
     * @param message what failed and what to do
     * @param count how many events failed since the previous flush
     * @param first the first failure
     */
    public EventsFailedException(String message, long count, Throwable first) {
        super(message, first);
        this.count = count;
    }

    /** @return how many events failed since the previous flush */
    public long count() {
        return count;
    }
}
