package dev.diaspora.stream.netty;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.AppendRequest;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.OutgoingBatch;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parts of one producer batch that the client split over several APPEND frames (flag {@code more}), held by the
 * server until the last part arrives so that the whole batch is appended at once and gets consecutive EventIDs, even
 * when frames of other connections arrive in between. The parts' data stay in their frames (not copied); only the
 * small metadata is concatenated.
 *
 * <p>Thread safety: not thread-safe; used on its connection's event loop only.
 */
final class BatchAssembly {
    private final long producerId;
    private final long sequence;
    private final boolean timestamps;
    private final List<AppendRequest> parts = new ArrayList<>();
    private final List<ByteBuf> frames = new ArrayList<>();
    private final List<Long> requestIds = new ArrayList<>();
    private int count;
    private long bytes;
    private DiasporaException refusal;

    BatchAssembly(AppendRequest first) {
        this.producerId = first.producerId;
        this.sequence = first.sequence;
        this.timestamps = first.timestamps;
    }

    /**
     * Adds a part; takes ownership of {@code frame} (released by {@link #release}).
     *
     * @throws Protocol.BadFrameException if the part does not continue this batch or the batch grows past the
     *     largest count of events
     */
    void add(long requestId, AppendRequest part, ByteBuf frame, int frameBytes) {
        if (part.producerId != producerId || part.sequence != sequence || part.timestamps != timestamps) {
            frame.release();
            throw new Protocol.BadFrameException("APPEND: a part of batch " + sequence + " of producer " + producerId
                    + " names batch " + part.sequence + " of producer " + part.producerId
                    + " or other flags; the parts of a batch must follow each other");
        }
        if ((long) count + part.count > Protocol.MAX_COUNT) {
            frame.release();
            throw new Protocol.BadFrameException("APPEND: a batch split over several frames holds more than "
                    + Protocol.MAX_COUNT + " events");
        }
        parts.add(part);
        frames.add(frame);
        requestIds.add(requestId);
        count += part.count;
        bytes += frameBytes;
    }

    /** @return the bytes of the frames held */
    long bytes() {
        return bytes;
    }

    /** @return the request ids of the parts, in arrival order (each is answered when the batch completes) */
    long[] requestIds() {
        return requestIds.stream().mapToLong(Long::longValue).toArray();
    }

    /** @return why the batch was refused, or null; the parts still to come are answered with it */
    DiasporaException refusal() {
        return refusal;
    }

    /**
     * Refuses the batch: releases the parts held and remembers why.
     *
     * @return the request ids of the parts held, to be answered with the refusal
     */
    long[] refuse(DiasporaException why) {
        long[] ids = requestIds();
        refusal = why;
        release();
        requestIds.clear();
        return ids;
    }

    /** @return the index in the whole batch of the first event of each part */
    int[] partStarts() {
        int[] starts = new int[parts.size()];
        int at = 0;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = at;
            at += parts.get(i).count;
        }
        return starts;
    }

    /** @return the whole batch; its data are views of the held frames, valid until {@link #release} */
    OutgoingBatch batch() {
        int mdTotal = 0;
        for (AppendRequest p : parts) {
            mdTotal += p.metadata.length;
        }
        byte[] md = new byte[mdTotal];
        int[] offsets = new int[count + 1];
        DataView[] data = new DataView[count];
        long[] ts = timestamps ? new long[count] : null;
        int at = 0;
        int mdAt = 0;
        for (AppendRequest p : parts) {
            System.arraycopy(p.metadata, 0, md, mdAt, p.metadata.length);
            for (int i = 0; i < p.count; i++) {
                offsets[at + i + 1] = mdAt + p.offsets[i + 1];
            }
            System.arraycopy(p.data, 0, data, at, p.count);
            if (ts != null) {
                System.arraycopy(p.timestampsNanos, 0, ts, at, p.count);
            }
            at += p.count;
            mdAt += p.metadata.length;
        }
        return new OutgoingBatch(count, md, offsets, data, ts, producerId, sequence);
    }

    /** Releases the held frames. Idempotent. */
    void release() {
        for (ByteBuf f : frames) {
            f.release();
        }
        frames.clear();
        parts.clear();
    }

    @Override
    public String toString() {
        return "batch " + sequence + " of producer " + producerId + ": " + parts.size() + " parts "
                + Arrays.toString(partStarts());
    }
}
