package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DiasporaException;

/**
 * What a partition's ready queue holds besides events: a read error, a lost range or a skipped event, in EventID
 * order with the events around it. Not API.
 *
 * <p>Thread safety: immutable; queued and taken under the consumer's lock.
 */
final class ReadyMarker implements ReadyItem {
    enum Kind {
        /** An unreadable event under FAIL: stays at the head of its partition, every pull fails with it until seek. */
        FAILED,
        /** A range of ids that hold no event: one pull fails with it, then the partition goes on. */
        LOST,
        /** An unreadable event under SKIP: no pull sees it; taking it moves the partition's position past it. */
        SKIPPED
    }

    final Kind kind;
    final DiasporaException error; // null for SKIPPED
    final int partition; // -1 for FAILED
    final long id; // the first EventID the marker is about, -1 for FAILED
    final long nextId; // the EventID after it, -1 for FAILED

    private ReadyMarker(Kind kind, DiasporaException error, int partition, long id, long nextId) {
        this.kind = kind;
        this.partition = partition;
        this.error = error;
        this.id = id;
        this.nextId = nextId;
    }

    static ReadyMarker failed(DiasporaException error) {
        return new ReadyMarker(Kind.FAILED, error, -1, -1, -1);
    }

    static ReadyMarker lost(DiasporaException error, int partition, long firstId, long nextId) {
        return new ReadyMarker(Kind.LOST, error, partition, firstId, nextId);
    }

    static ReadyMarker skipped(int partition, long id) {
        return new ReadyMarker(Kind.SKIPPED, null, partition, id, id + 1);
    }

    boolean sticky() {
        return kind == Kind.FAILED;
    }

    @Override
    public int partition() {
        return partition;
    }

    @Override
    public long bytes() {
        return 0;
    }
}
