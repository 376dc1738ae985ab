package dev.diaspora.stream.spi;

/**
 * A topic's retention options, shared by the drivers that enforce them: {@code retention.ms} (drop events older than
 * this, by storage timestamp), {@code retention.bytes} (per partition: drop the oldest events while the partition
 * holds more), {@code segment.ms} (segmented drivers start a new segment once the open one is this old, so that time
 * retention can drop it). An absent option sets no limit: drivers that enforce retention themselves (memory, files,
 * netty) then keep events forever, while a driver that hands the options to a storage system with defaults of its own
 * leaves that default in force and says so in its README (kafka: the broker's {@code log.retention.hours}, 7 days
 * unless the broker is configured otherwise). Declare {@link #specs(boolean)} among the driver's topic options and
 * read them with {@link #of(Options)}.
 *
 * <p>Thread safety: immutable.
 *
 * @param retentionMs the longest age kept, in milliseconds, or -1 for no limit
 * @param retentionBytes the most bytes kept per partition, or -1 for no limit
 * @param segmentMs the age at which a segment rolls, in milliseconds, or -1 for no age limit
 */
public record Retention(long retentionMs, long retentionBytes, long segmentMs) {
    /** Topic option: the longest age kept, in milliseconds. */
    public static final String RETENTION_MS = "retention.ms";
    /** Topic option: the most bytes kept per partition. */
    public static final String RETENTION_BYTES = "retention.bytes";
    /** Topic option: the age at which a segment rolls, in milliseconds. */
    public static final String SEGMENT_MS = "segment.ms";
    private static final String ABSENT = " Absent: no limit, or the storage system's own default where the driver"
            + " hands retention to one (kafka: the broker's, 7 days unless configured otherwise).";

    /** No retention: everything is kept. */
    public static final Retention NONE = new Retention(-1, -1, -1);

    /**
     * @param segmented whether to declare {@code segment.ms} (drivers that store segments)
     * @return the option specs to add to a driver's topic options
     */
    public static OptionSpec[] specs(boolean segmented) {
        OptionSpec ms = OptionSpec.integer(RETENTION_MS).min(1).doc("Drop events older than this many milliseconds"
                + " (by storage time). Segmented drivers drop whole segments, once their newest event is this old."
                + ABSENT);
        OptionSpec bytes = OptionSpec.integer(RETENTION_BYTES).min(1).doc("Per partition: drop the oldest events"
                + " while the partition holds more than this many bytes (segmented drivers: whole segments, never the"
                + " newest)." + ABSENT);
        if (!segmented) {
            return new OptionSpec[] {ms, bytes};
        }
        OptionSpec seg = OptionSpec.integer(SEGMENT_MS).min(1).doc("Start a new segment once the open one holds an"
                + " event this many milliseconds old, so that retention.ms can drop it on a slow topic. None by"
                + " default: segments roll by size only.");
        return new OptionSpec[] {ms, bytes, seg};
    }

    /** @return the retention of validated topic options (absent options: no limit) */
    public static Retention of(Options options) {
        return new Retention(options.integer(RETENTION_MS, -1), options.integer(RETENTION_BYTES, -1),
                options.integer(SEGMENT_MS, -1));
    }

    /** @return the retention of topic options as stored (a JSON object; absent options: no limit) */
    public static Retention of(dev.diaspora.stream.Metadata stored) {
        com.fasterxml.jackson.databind.JsonNode o = stored.json();
        return new Retention(o.path(RETENTION_MS).asLong(-1), o.path(RETENTION_BYTES).asLong(-1),
                o.path(SEGMENT_MS).asLong(-1));
    }

    /** @return true if any limit is set */
    public boolean any() {
        return retentionMs > 0 || retentionBytes > 0;
    }
}
