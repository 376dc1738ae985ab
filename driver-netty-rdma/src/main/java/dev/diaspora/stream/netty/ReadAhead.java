package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.InlineData;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.ForwardingLocalTopic;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One read session's view of a {@link NettyTopic} that keeps the next READ of a partition in flight: when a read
 * returns events and the server holds more, the READ for the events that follow is sent at once, so that its answer
 * travels while the engine selects, allocates and fetches the data of the batch just returned. It asks for as many
 * events as the read did, within the bytes that the read's limit leaves after the batch (the engine's room if the
 * application takes nothing meanwhile), so that its answer fits the next read. The next read of the
 * partition takes that answer if it asks from the same id and the batch fits its limits; otherwise (a seek, a rewind,
 * a smaller limit, a failure of the early READ) the answer is dropped and the read is made as usual. Everything else
 * goes to the topic unchanged.
 *
 * <p>Reads are READ_INLINE: the answer also carries the whole data of the batch's first small events (PROTOCOL.md,
 * "READ_INLINE"), held until the next read, and {@link #readData} copies the selected ranges of those events out of
 * it, so that a batch of small events costs one round trip instead of two (READ, then READ_DATA); other events go to
 * the server with READ_DATA as before. A consumer whose selection leaves most of the data sent inline unread (a
 * selector that takes a few bytes of each event) stops asking for it for {@link #INLINE_PAUSE} reads, then tries
 * again. The reads in flight of a session ask for {@link #INLINE_BUDGET} bytes of inline data at most together.
 *
 * <p>A batch read ahead is the one the server would have answered a moment earlier: a retention run or a lost range
 * in between shows up when its data is read, as it would after any read (data sent inline was read and checked by
 * the server when it answered, which is also a moment earlier).
 *
 * <p>Thread safety: {@link #read}, {@link #readData} and {@link #discardAll} on the session's thread only; the rest is
 * the topic's.
 */
final class ReadAhead extends ForwardingLocalTopic {
    /** Most data bytes one read asks to receive inline: as much as one READ_DATA request asks for. */
    static final int INLINE_MAX = (int) RemoteReads.READ_DATA_CHUNK;
    /** Reads that ask for no inline data once the data sent inline was mostly left unread. */
    static final int INLINE_PAUSE = 64;
    /** Most READs in flight ahead of a partition's position, while batches come full (a backlog). */
    static final int DEPTH = 2;
    /**
     * Most inline bytes the READs in flight of a session may ask for together (the engine's prefetch bound does not
     * see them): with many partitions behind, the reads past it ask for less, or none.
     */
    static final long INLINE_BUDGET = 4L * INLINE_MAX;
    /** Marks "no usable answer read ahead" (null is an answer: the end). */
    private static final RemoteReads.Answered NONE = new RemoteReads.Answered(
            IncomingBatch.failure(0, 0, new DiasporaException("none")), null);

    private final NettyTopic topic;
    /** Reads in flight ahead of each partition's position, in order. */
    private final Map<Integer, ArrayDeque<RemoteReads.PendingRead>> ahead = new HashMap<>();
    private long used; // reads answered from a READ sent ahead, for tests
    /** The data sent inline with the last batch read, until the next read (null: none). */
    private InlineData held;
    private int heldPartition;
    /** Selected bytes of {@link #held} that {@link #readData} copied out. */
    private long heldUsed;
    /** Reads left that ask for no inline data (see {@link #INLINE_PAUSE}). */
    private int inlinePaused;
    private long servedInline; // data requests served from inline data, for tests
    private final int inlineMax;
    private final long inlineBudget;
    /** The inline bytes the READs in flight asked for. */
    private long inlineAsked;

    ReadAhead(NettyTopic topic) {
        this(topic, INLINE_MAX, INLINE_BUDGET);
    }

    /** With other inline limits than {@link #INLINE_MAX} and {@link #INLINE_BUDGET}, for tests. */
    ReadAhead(NettyTopic topic, int inlineMax, long inlineBudget) {
        super(topic);
        this.topic = topic;
        this.inlineMax = inlineMax;
        this.inlineBudget = inlineBudget;
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        dropHeld();
        RemoteReads.Answered a = take(p, fromId, maxEvents, maxBytes);
        if (a == NONE) {
            a = topic.read(p, fromId, maxEvents, maxBytes, maxInline(0));
        }
        if (a == null) {
            return null;
        }
        IncomingBatch b = a.batch();
        held = a.inline();
        heldPartition = p;
        if (b.count() > 0 && b.error() == null) {
            sendAhead(p, b, maxEvents, maxBytes);
        } else {
            discard(p);
        }
        return b;
    }

    /**
     * Keeps reads of partition {@code p} in flight after batch {@code b}: the next one, and while batches come full
     * (a backlog) up to {@link #DEPTH} in all, each from where the one before it ends if it is full too. Each asks
     * for the bytes the read's limit leaves after the batches before it, if they are as large as {@code b}.
     */
    private void sendAhead(int p, IncomingBatch b, int maxEvents, long maxBytes) {
        ArrayDeque<RemoteReads.PendingRead> q = ahead.computeIfAbsent(p, k -> new ArrayDeque<>());
        long next = b.firstId() + b.count();
        if (!q.isEmpty() && q.peekFirst().from() != next) {
            discard(p); // the batch was not full: what was sent past it starts at the wrong id
        }
        long size = bytes(b);
        int depth = b.count() >= maxEvents ? DEPTH : 1;
        while (q.size() < depth) {
            RemoteReads.PendingRead last = q.peekLast();
            long from = last == null ? next : last.from() + last.maxEvents();
            // the room the engine will have if the application takes nothing meanwhile: the answer then fits
            long room = Math.max(1, maxBytes - (q.size() + 1) * size);
            RemoteReads.PendingRead r = topic.sendRead(p, from, maxEvents, room, maxInline(inlineAsked));
            if (r == null) {
                break;
            }
            q.addLast(r);
            inlineAsked += r.maxInline();
        }
    }

    /** Drops the reads in flight of partition {@code p}. */
    private void discard(int p) {
        ArrayDeque<RemoteReads.PendingRead> q = ahead.remove(p);
        if (q != null) {
            q.forEach(r -> landed(r).discard());
        }
    }

    /**
     * Fills the requests whose events' data came inline with the last batch from that data, and reads the others
     * from the server.
     */
    @Override
    public void readData(List<DataRequest> requests) {
        InlineData h = held;
        if (h == null) {
            topic.readData(requests);
            return;
        }
        List<DataRequest> remote = new ArrayList<>();
        for (DataRequest r : requests) {
            if (r.partition() != heldPartition || !h.holds(r.eventId())) {
                remote.add(r);
                continue;
            }
            ByteBuffer whole = h.of(r.eventId());
            if (r.descriptor().baseSize() != whole.remaining()) { // the server answers such a request with an error
                remote.add(r);
                continue;
            }
            try {
                r.fillFrom(whole);
                heldUsed += r.descriptor().size();
                servedInline++;
            } catch (DiasporaException e) {
                r.fail(e); // as every driver filling from inline data: the engine checked the selection already
            }
        }
        if (!remote.isEmpty()) {
            topic.readData(remote);
        }
    }

    /** @return the inline bytes the next read asks for, while reads in flight asked for {@code asked} */
    private int maxInline(long asked) {
        if (inlinePaused > 0) {
            inlinePaused--;
            return 0;
        }
        return (int) Math.max(0, Math.min(inlineMax, inlineBudget - asked));
    }

    /** Forgets a READ taken out of the reads in flight. */
    private RemoteReads.PendingRead landed(RemoteReads.PendingRead r) {
        if (r != null) {
            inlineAsked -= r.maxInline();
        }
        return r;
    }

    /** Releases the data held inline; pauses inline reads if most of it was not selected. */
    private void dropHeld() {
        if (held != null) {
            if (heldUsed * 2 < held.bytes()) {
                inlinePaused = INLINE_PAUSE;
            }
            held.release();
            held = null;
        }
        heldUsed = 0;
    }

    /** @return the answer read ahead for this read, or {@link #NONE} */
    private RemoteReads.Answered take(int p, long fromId, int maxEvents, long maxBytes) {
        ArrayDeque<RemoteReads.PendingRead> q = ahead.get(p);
        RemoteReads.PendingRead r = q == null ? null : landed(q.pollFirst());
        if (r == null) {
            return NONE;
        }
        if (r.from() != fromId || r.maxEvents() > maxEvents) {
            r.discard();
            discard(p);
            return NONE;
        }
        RemoteReads.Answered a;
        try {
            a = topic.awaitRead(r);
        } catch (DiasporaException e) {
            discard(p);
            return NONE; // read again now, which reports the failure as a read does
        }
        if (a == null || !fits(a.batch(), maxBytes)) {
            discard(p); // at the end, or dropped: nothing past it is of use
        }
        if (a != null && !fits(a.batch(), maxBytes)) {
            a.batch().release();
            if (a.inline() != null) {
                a.inline().release();
            }
            return NONE;
        }
        used++;
        return a;
    }

    /** @return true if {@code b} keeps to {@code maxBytes} as a read with that limit would (at least one event) */
    private static boolean fits(IncomingBatch b, long maxBytes) {
        return b.count() <= 1 || bytes(b) <= maxBytes;
    }

    /** @return the metadata and data bytes of {@code b}'s events, as a read's byte limit counts them */
    private static long bytes(IncomingBatch b) {
        long bytes = 0;
        for (int i = 0; i < b.count(); i++) {
            bytes += b.metadataSize(i) + b.dataSize(i);
        }
        return bytes;
    }

    /** @return the partitions with a READ in flight, with the id the first of them reads from, for tests */
    Map<Integer, Long> inFlight() {
        Map<Integer, Long> m = new HashMap<>();
        ahead.forEach((p, q) -> {
            if (!q.isEmpty()) {
                m.put(p, q.peekFirst().from());
            }
        });
        return m;
    }

    /** @return the ids the READs in flight of partition {@code p} read from, in order, for tests */
    List<Long> inFlight(int p) {
        List<Long> l = new ArrayList<>();
        ahead.getOrDefault(p, new ArrayDeque<>()).forEach(r -> l.add(r.from()));
        return l;
    }

    /** @return how many reads were answered by a READ sent ahead, for tests */
    long used() {
        return used;
    }

    /** @return how many data requests were filled from data sent inline, for tests */
    long servedInline() {
        return servedInline;
    }

    /** @return the inline bytes the READs in flight asked for, for tests */
    long inlineAsked() {
        return inlineAsked;
    }

    /** @return whether reads ask for no inline data now (see {@link #INLINE_PAUSE}), for tests */
    boolean inlinePaused() {
        return inlinePaused > 0;
    }

    /** Drops every READ in flight and the data held inline (the session closes). */
    void discardAll() {
        ahead.values().forEach(q -> q.forEach(r -> landed(r).discard()));
        ahead.clear();
        dropHeld();
    }
}
