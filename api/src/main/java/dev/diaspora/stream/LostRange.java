package dev.diaspora.stream;

/**
 * A range of EventIDs of a partition that holds no event although it lies between the first retained id and the
 * next id: a writer skipped it after a crash lost the tail of the log (ids are never given twice), or storage lost
 * the events. A consumer whose position falls in it receives an {@link EventsLostException} and goes on after it.
 *
 * <p>Thread safety: immutable.
 *
 * @param first the first EventID of the range
 * @param last the last EventID of the range (inclusive)
 * @param why what lost them
 */
public record LostRange(long first, long last, String why) {
    /** Checks {@code 0 <= first <= last}. */
    public LostRange {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("invalid lost range [" + first + ", " + last + "]");
        }
    }

    /** @return the number of EventIDs in the range */
    public long count() {
        return last - first + 1;
    }

    /** @return true if {@code id} lies in the range */
    public boolean contains(long id) {
        return id >= first && id <= last;
    }
}
