package dev.diaspora.stream.netty.protocol;

import dev.diaspora.stream.spi.IncomingBatch;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * The data section of a READ_INLINE answer (PROTOCOL.md, "READ_INLINE"), after its {@link ReadAnswer}: {@code u32 k},
 * then the whole data of the batch's first {@code k} events, concatenated (their sizes are the batch's data sizes).
 *
 * <p>Thread safety: not thread-safe; the holder owns {@link #data()} (one reference) and releases it with
 * {@link #release()}.
 */
public final class InlineData {
    private final long firstId;
    private final long[] offsets;
    private final ByteBuf data;
    /** The received pieces of {@link #data}, taken at the first {@link #of}; with a cursor for in-order reads. */
    private ByteBuffer[] pieces;
    private int piece;
    private long pieceStart; // offset in data of pieces[piece]'s first byte

    /**
     * @param firstId the id of the first event whose data is held
     * @param offsets {@code k + 1} offsets into {@code data}: event {@code firstId + i} is [offsets[i], offsets[i + 1])
     * @param data the bytes, owned by this object
     */
    public InlineData(long firstId, long[] offsets, ByteBuf data) {
        this.firstId = firstId;
        this.offsets = offsets;
        this.data = data;
    }

    /** @return the id of the first event whose data is held */
    public long firstId() {
        return firstId;
    }

    /** @return {@code k + 1} offsets into {@link #data()}: event {@code firstId + i} is [offsets[i], offsets[i + 1]) */
    public long[] offsets() {
        return offsets;
    }

    /** @return the bytes, owned by this object */
    public ByteBuf data() {
        return data;
    }

    /** @return how many events' data is held */
    public int count() {
        return offsets.length - 1;
    }

    /** @return true if the data of event {@code id} is held */
    public boolean holds(long id) {
        return id >= firstId && id - firstId < count();
    }

    /**
     * @return the whole data of held event {@code id}, a view of {@link #data()} where it lies in one piece of the
     *     received frame (the usual case for events smaller than a socket read), else a copy of its pieces: the held
     *     data is not copied as a whole before each event's selected bytes are copied out of it. Events asked for in
     *     increasing order are found by walking the pieces once, not by a search per event.
     */
    public ByteBuffer of(long id) {
        int i = (int) (id - firstId);
        long from = offsets[i];
        int len = (int) (offsets[i + 1] - from);
        if (pieces == null) {
            pieces = data.nioBuffers(data.readerIndex(), data.readableBytes());
        }
        if (from < pieceStart) { // out of order: walk again from the first piece
            piece = 0;
            pieceStart = 0;
        }
        while (piece < pieces.length - 1 && from >= pieceStart + pieces[piece].remaining()) {
            pieceStart += pieces[piece].remaining();
            piece++;
        }
        ByteBuffer p = pieces[piece];
        int at = (int) (from - pieceStart);
        if (at + len <= p.remaining()) {
            return p.slice(p.position() + at, len);
        }
        ByteBuffer copy = ByteBuffer.allocate(len); // spans pieces: rare for events smaller than a socket read
        data.getBytes(data.readerIndex() + (int) from, copy);
        return copy.flip();
    }

    /** @return the bytes held */
    public long bytes() {
        return offsets[offsets.length - 1];
    }

    /** Releases the bytes. */
    public void release() {
        data.release();
    }

    /**
     * Decodes the section that follows a READ_INLINE's {@link ReadAnswer} in {@code in} (a retained slice of the frame,
     * which the caller still releases). {@code batch} is the answer's batch (null at the end: then k must be 0).
     *
     * @return the data, or null if the answer holds none
     * @throws Protocol.BadFrameException if k exceeds the batch or the frame is shorter than the sizes it announces
     */
    public static InlineData decode(ByteBuf in, IncomingBatch batch) {
        return Protocol.answer("READ_INLINE answer", in, a -> {
            int k = a.readInt();
            int n = batch == null ? 0 : batch.count();
            if (k < 0 || k > n) {
                throw new Protocol.BadFrameException("READ_INLINE answer: data of " + k + " events for a batch of "
                        + n);
            }
            if (k == 0) {
                return null;
            }
            long[] offsets = new long[k + 1];
            for (int i = 0; i < k; i++) {
                long size = batch.dataSize(i);
                if (size < 0 || size >= Protocol.INLINE_EVENT_LIMIT) {
                    throw new Protocol.BadFrameException("READ_INLINE answer: event " + (batch.firstId() + i)
                            + " of " + size + " bytes sent inline");
                }
                offsets[i + 1] = offsets[i] + size;
            }
            Protocol.need(a, offsets[k], "READ_INLINE data");
            return new InlineData(batch.firstId(), offsets, a.readRetainedSlice((int) offsets[k]));
        });
    }
}
