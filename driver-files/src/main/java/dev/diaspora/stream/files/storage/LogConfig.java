package dev.diaspora.stream.files.storage;

/**
 * How a {@link PartitionLog} writes: where segments roll and how durable an append is when it completes.
 *
 * <p>Thread safety: immutable.
 *
 * @param segmentSize the size in bytes at which the data, metadata and index segments roll together (a batch is
 *     never split, so a segment exceeds this size when one batch alone is larger)
 * @param fsync true: data and metadata are forced to the device before the index records are written, and the index
 *     before the append completes; false: an append completes once the operating system has the bytes
 * @param segmentMs the age (of its first event, in milliseconds of {@link dev.diaspora.stream.spi.StorageClock}) at
 *     which the newest segment rolls before the next append, or -1 to roll by size only ({@code segment.ms})
 */
public record LogConfig(long segmentSize, boolean fsync, long segmentMs) {
    /** The smallest segment size accepted. */
    public static final long MIN_SEGMENT_SIZE = 64 * 1024;
    /** The default segment size: 256 MiB. */
    public static final long DEFAULT_SEGMENT_SIZE = 256L << 20;

    /** A log that rolls by size only. */
    public LogConfig(long segmentSize, boolean fsync) {
        this(segmentSize, fsync, -1);
    }

    /** Checks the segment size. */
    public LogConfig {
        if (segmentSize < MIN_SEGMENT_SIZE) {
            throw new IllegalArgumentException("segment size " + segmentSize + " is below the minimum "
                    + MIN_SEGMENT_SIZE);
        }
    }
}
