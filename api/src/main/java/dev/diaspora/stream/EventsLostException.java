package dev.diaspora.stream;

/**
 * Carried by one pull when a range of EventIDs of a partition that the consumer was about to read no longer holds
 * events: a crash lost the tail of the log after those ids were handed out (see the driver's durability modes), or
 * storage dropped them. The consumer receives this exception once, then continues with the first event after the
 * range; the range is also logged at WARN and counted in {@link ConsumerMetrics}. EventIDs are never reused, so
 * ids after the range are new events.
 *
 * <p>Not retriable: pulling again returns the next event, it does not bring the lost ones back.
 *
 * <p>Thread safety: immutable.
 */
public class EventsLostException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    private final int partition;
    private final long firstLostId;
    private final long lastLostId;
    private final String why;

    /**
     * @param partition the partition
     * @param firstLostId the first EventID that holds no event
     * @param lastLostId the last EventID that holds no event (inclusive)
     * @param why what lost them (for example "the tail of the log was lost in a crash"), or null
     */
    public EventsLostException(int partition, long firstLostId, long lastLostId, String why) {
        super("partition " + partition + ": events " + firstLostId + " to " + lastLostId + " ("
                + (lastLostId - firstLostId + 1) + " events) are lost" + (why == null ? "" : ": " + why)
                + "; the consumer continues with event " + (lastLostId + 1), null, false);
        if (lastLostId < firstLostId) {
            throw new IllegalArgumentException("lastLostId " + lastLostId + " < firstLostId " + firstLostId);
        }
        this.partition = partition;
        this.firstLostId = firstLostId;
        this.lastLostId = lastLostId;
        this.why = why;
    }

    /** @return what lost the events, as given to the constructor, or null */
    public String why() {
        return why;
    }

    /** @return the partition */
    public int partition() {
        return partition;
    }

    /** @return the first lost EventID */
    public long firstLostId() {
        return firstLostId;
    }

    /** @return the last lost EventID (inclusive) */
    public long lastLostId() {
        return lastLostId;
    }

    /** @return how many EventIDs the range covers */
    public long count() {
        return lastLostId - firstLostId + 1;
    }
}
