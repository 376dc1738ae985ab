package dev.diaspora.stream;

/**
 * A position lies below the first event a partition still retains: retention ({@code retention.ms},
 * {@code retention.bytes}) dropped the events there. Under {@link ExpiredPositionPolicy#FAIL} every pull of the
 * partition fails with it until the consumer seeks; drivers also report it for a read that starts, or a data read
 * that lands, in a segment dropped meanwhile. It is retriable: a seek to {@link #firstRetainedId()} or later (or to
 * {@code StartAt.EARLIEST}) reads again.
 *
 * <p>Thread safety: immutable.
 */
public class PositionExpiredException extends DiasporaException {
    private static final long serialVersionUID = 1L;

    private final int partition;
    private final long position;
    private final long firstRetainedId;

    /**
     * @param partition the partition
     * @param position the position (next EventID to read) that is no longer retained
     * @param firstRetainedId the first EventID the partition retains
     * @param where what was reading (topic, consumer), for the message
     */
    public PositionExpiredException(int partition, long position, long firstRetainedId, String where) {
        super(where + ": partition " + partition + ", position " + position + " is no longer retained: retention"
                + " dropped the events before " + firstRetainedId + ", the first retained id. Seek to it with seek("
                + partition + ", StartAt.EARLIEST) (or StartAt.LATEST), or open the consumer with"
                + " ConsumerOptions.onExpiredPosition(EARLIEST) to go on there by itself", null, true);
        this.partition = partition;
        this.position = position;
        this.firstRetainedId = firstRetainedId;
    }

    /** @return the partition */
    public int partition() {
        return partition;
    }

    /** @return the position that is no longer retained */
    public long position() {
        return position;
    }

    /** @return the first EventID the partition retained when this was thrown */
    public long firstRetainedId() {
        return firstRetainedId;
    }
}
