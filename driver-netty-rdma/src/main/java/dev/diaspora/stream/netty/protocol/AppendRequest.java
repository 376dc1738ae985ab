package dev.diaspora.stream.netty.protocol;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.spi.OutgoingBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The APPEND frame kind (PROTOCOL.md, "APPEND"), one codec for both sides: {@link #encode} on the client, {@link
 * #decode} on the server. A decoded request holds the header fields, the events' metadata (copied, it is small) and
 * their data as views of the frame's own buffer (not copied: the frame must stay retained while the views are used).
 *
 * <p>Thread safety: immutable after {@link #decode}; the arrays are not copied, do not modify them.
 */
public final class AppendRequest {
    /** Flags bit 0: the events carry explicit timestamps. */
    public static final int FLAG_TIMESTAMPS = 1;
    /** Flags bit 1: more parts of the same batch follow in later APPEND frames. */
    public static final int FLAG_MORE = 2;
    /** Bytes of the fixed part of the header: handle, key, partition, count, producer id, sequence, flags. */
    public static final int HEAD = 33;

    public final int handle;
    public final int appenderKey;
    public final int partition;
    public final int count;
    public final long producerId;
    public final long sequence;
    public final boolean timestamps;
    public final boolean more;
    public final byte[] metadata;
    public final int[] offsets;
    public final DataView[] data;
    public final long[] timestampsNanos;

    private AppendRequest(int handle, int appenderKey, int partition, int count, long producerId, long sequence,
            int flags, byte[] metadata, int[] offsets, DataView[] data, long[] timestampsNanos) {
        this.handle = handle;
        this.appenderKey = appenderKey;
        this.partition = partition;
        this.count = count;
        this.producerId = producerId;
        this.sequence = sequence;
        this.timestamps = (flags & FLAG_TIMESTAMPS) != 0;
        this.more = (flags & FLAG_MORE) != 0;
        this.metadata = metadata;
        this.offsets = offsets;
        this.data = data;
        this.timestampsNanos = timestampsNanos;
    }

    /**
     * Encodes events {@code [from, to)} of {@code batch} as the payload of one APPEND frame: a header buffer, then
     * the batch's metadata and the events' data as wrapped views of the producer's own buffers (not copied: a
     * gathering socket write sends them).
     *
     * @param more true if later parts of the same batch follow (flag bit 1)
     * @return the payload's buffers in order; the first is the header (allocated from {@code alloc}); the caller owns
     *     them all
     */
    public static List<ByteBuf> encode(ByteBufAllocator alloc, int handle, int appenderKey, int partition,
            OutgoingBatch batch, int from, int to, boolean more) {
        int count = to - from;
        boolean ts = batch.hasTimestamps();
        ByteBuf head = alloc.buffer(HEAD + count * (ts ? 20 : 12));
        head.writeInt(handle).writeInt(appenderKey).writeInt(partition).writeInt(count)
                .writeLong(batch.producerId()).writeLong(batch.sequence())
                .writeByte((ts ? FLAG_TIMESTAMPS : 0) | (more ? FLAG_MORE : 0));
        for (int i = from; i < to; i++) {
            head.writeInt(batch.metadataSize(i));
        }
        for (int i = from; i < to; i++) {
            head.writeLong(batch.data(i).size());
        }
        if (ts) {
            for (int i = from; i < to; i++) {
                head.writeLong(batch.timestampNanos(i));
            }
        }
        List<ByteBuf> out = new ArrayList<>(count + 2);
        out.add(head);
        int mdFrom = batch.metadataOffset(from);
        out.add(Unpooled.wrappedBuffer(batch.metadataBuffer().slice(mdFrom, batch.metadataOffset(to) - mdFrom)));
        for (int i = from; i < to; i++) {
            for (ByteBuffer seg : batch.data(i).segments()) {
                if (seg.hasRemaining()) {
                    out.add(Unpooled.wrappedBuffer(seg.duplicate()));
                }
            }
        }
        return out;
    }

    /** @return the key of the server-side files appender: (handle, appenderKey) */
    public long appenderId() {
        return ((long) handle << 32) | (appenderKey & 0xFFFF_FFFFL);
    }

    /**
     * Decodes the payload of an APPEND frame (reader index after the frame header), checking every size against the
     * bytes of the frame. The partition is returned as sent: the caller checks it against the topic.
     *
     * @throws Protocol.BadFrameException if the frame breaks PROTOCOL.md
     * @throws EventTooLargeException if one event is above the largest event size
     */
    public static AppendRequest decode(ByteBuf in) {
        int handle = in.readInt();
        int key = in.readInt();
        int p = in.readInt();
        int count = Protocol.readCount(in, Protocol.MAX_COUNT, 12, "APPEND count");
        long producerId = in.readLong();
        long sequence = in.readLong();
        int flags = in.readUnsignedByte();
        if ((flags & ~(FLAG_TIMESTAMPS | FLAG_MORE)) != 0) {
            throw new Protocol.BadFrameException("APPEND: unknown flags " + flags);
        }
        boolean timestamps = (flags & FLAG_TIMESTAMPS) != 0;
        int[] offsets = new int[count + 1];
        long[] dataSizes = new long[count];
        long[] ts = timestamps ? new long[count] : null;
        Protocol.need(in, (long) count * (timestamps ? 20 : 12), "APPEND sizes");
        long mdTotal = 0;
        long dataTotal = 0;
        for (int i = 0; i < count; i++) {
            int m = in.readInt();
            if (m < 0) {
                throw new Protocol.BadFrameException("APPEND: negative metadata size");
            }
            mdTotal += m;
            if (mdTotal > Integer.MAX_VALUE) {
                throw new Protocol.BadFrameException("APPEND: metadata sizes overflow");
            }
            offsets[i + 1] = (int) mdTotal;
        }
        for (int i = 0; i < count; i++) {
            long d = in.readLong();
            if (d < 0) {
                throw new Protocol.BadFrameException("APPEND: negative data size");
            }
            long event = d + offsets[i + 1] - offsets[i];
            if (event > Protocol.MAX_EVENT_SIZE) {
                throw new EventTooLargeException("event " + i + " of the batch has " + event + " bytes; the"
                        + " largest event is " + Protocol.MAX_EVENT_SIZE + " bytes");
            }
            dataSizes[i] = d;
            dataTotal += d;
        }
        if (timestamps) {
            for (int i = 0; i < count; i++) {
                ts[i] = in.readLong();
            }
        }
        if (mdTotal + dataTotal != in.readableBytes()) {
            throw new Protocol.BadFrameException("APPEND: sizes announce " + (mdTotal + dataTotal)
                    + " bytes of metadata and data, the frame holds " + in.readableBytes());
        }
        byte[] md = new byte[(int) mdTotal];
        in.readBytes(md);
        DataView[] data = new DataView[count];
        for (int i = 0; i < count; i++) {
            int d = (int) dataSizes[i];
            data[i] = d == 0 ? DataView.EMPTY : DataView.of(in.nioBuffers(in.readerIndex(), d));
            in.skipBytes(d);
        }
        return new AppendRequest(handle, key, p, count, producerId, sequence, flags, md, offsets, data, ts);
    }
}
