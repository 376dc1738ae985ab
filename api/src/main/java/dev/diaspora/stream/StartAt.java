package dev.diaspora.stream;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a consumer name with no stored position starts reading a partition, or where a reset moves it.
 *
 * <p>{@link #EARLIEST} (the default): the first retained event. {@link #LATEST}: the end of the partition when the
 * consumer opens. {@link #id(long)}: that EventID. {@link #time(Instant)}: the first event stored at or after that time,
 * or the end if there is none.
 *
 * <p>Thread safety: immutable.
 */
public final class StartAt {
    /** The kind of start position. */
    public enum Kind {
        /** the first retained event */
        EARLIEST,
        /** the end of the partition */
        LATEST,
        /** a given EventID */
        ID,
        /** the first event stored at or after a time */
        TIME
    }

    /** The first retained event. */
    public static final StartAt EARLIEST = new StartAt(Kind.EARLIEST, 0, null);
    /** The end of the partition when the consumer opens. */
    public static final StartAt LATEST = new StartAt(Kind.LATEST, 0, null);

    private final Kind kind;
    private final long id;
    private final Instant time;

    private StartAt(Kind kind, long id, Instant time) {
        this.kind = kind;
        this.id = id;
        this.time = time;
    }

    /**
     * Start at an EventID.
     *
     * @throws IllegalArgumentException if {@code id} &lt; 0
     */
    public static StartAt id(long id) {
        if (id < 0) {
            throw new IllegalArgumentException("EventID must be >= 0, got " + id);
        }
        return new StartAt(Kind.ID, id, null);
    }

    /** Start at the first event stored at or after {@code time}. */
    public static StartAt time(Instant time) {
        return new StartAt(Kind.TIME, 0, Objects.requireNonNull(time, "time"));
    }

    /**
     * Parses {@code earliest}, {@code latest}, {@code id:N} or {@code time:ISO-8601} (the CLI's syntax; the time is
     * an instant with a zone offset, {@code Z} or {@code +01:00}, seconds optional).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static StartAt parse(String text) {
        String t = text.trim();
        try {
            if (t.equalsIgnoreCase("earliest")) {
                return EARLIEST;
            } else if (t.equalsIgnoreCase("latest")) {
                return LATEST;
            } else if (t.regionMatches(true, 0, "id:", 0, 3)) {
                return id(Long.parseLong(t.substring(3)));
            } else if (t.regionMatches(true, 0, "time:", 0, 5)) {
                return time(parseTime(t.substring(5)));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid start position '" + text
                    + "': expected earliest, latest, id:N or time:ISO-8601 (" + e.getMessage() + ")", e);
        }
        throw new IllegalArgumentException("invalid start position '" + text
                + "': expected earliest, latest, id:N or time:ISO-8601");
    }

    private static Instant parseTime(String text) {
        try {
            return Instant.parse(text); // 2026-01-01T00:00:00Z
        } catch (java.time.format.DateTimeParseException e) {
            // offsets and optional seconds: 2026-01-01T00:00Z, 2026-01-01T01:00:00+01:00
            return java.time.OffsetDateTime.parse(text).toInstant();
        }
    }

    /** @return the kind */
    public Kind kind() {
        return kind;
    }

    /** @return the EventID for {@link Kind#ID} */
    public long id() {
        return id;
    }

    /** @return the time for {@link Kind#TIME}, else null */
    public Instant time() {
        return time;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StartAt && ((StartAt) o).kind == kind && ((StartAt) o).id == id
                && Objects.equals(((StartAt) o).time, time);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, id, time);
    }

    @Override
    public String toString() {
        switch (kind) {
            case ID:
                return "id:" + id;
            case TIME:
                return "time:" + time;
            default:
                return kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
