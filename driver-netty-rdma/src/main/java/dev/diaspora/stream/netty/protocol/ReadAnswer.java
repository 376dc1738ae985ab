package dev.diaspora.stream.netty.protocol;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.IncomingBatch;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * The answer to READ (PROTOCOL.md, "READ"), decoded on the client: the partition's end on the server and the batch
 * of metadata, if any.
 *
 * <p>Thread safety: immutable.
 *
 * @param end the partition's next id on the server when it answered
 * @param batch the events read (metadata copied out of the frame), or null if the read was at the end
 */
public record ReadAnswer(long end, IncomingBatch batch) {
    /**
     * Decodes a READ answer for global partition {@code p} from {@code server} (the frame is not released).
     *
     * @throws Protocol.BadFrameException if the answer is truncated or a count is out of range
     */
    public static ReadAnswer decode(ByteBuf in, int p, String server) {
        return Protocol.answer("READ answer", in, a -> decodeFields(a, p, server));
    }

    private static ReadAnswer decodeFields(ByteBuf a, int p, String server) {
        boolean has = a.readByte() != 0;
        long end = a.readLong();
        if (!has) {
            return new ReadAnswer(end, null);
        }
        long first = a.readLong();
        int n = Protocol.readCount(a, Protocol.MAX_COUNT, 28, "READ count");
        int kind = a.readByte();
        DiasporaException error = kind == -1 ? null
                : Protocol.readError(kind, Protocol.readString(a, "error"), p, server);
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            long m = a.readUnsignedInt();
            if (offsets[i] + m > a.readableBytes()) { // more metadata than the frame holds
                throw new Protocol.BadFrameException("READ answer: metadata size " + m + " of event " + i
                        + " exceeds the frame");
            }
            offsets[i + 1] = (int) (offsets[i] + m);
        }
        long[] ts = new long[n];
        long[] sizes = new long[n];
        long[] locations = new long[n];
        for (int i = 0; i < n; i++) {
            ts[i] = a.readLong();
            sizes[i] = a.readLong();
            locations[i] = a.readLong();
        }
        Protocol.need(a, offsets[n], "READ answer metadata");
        ByteBuffer md = ByteBuffer.allocate(offsets[n]);
        a.readBytes(md);
        md.flip();
        if (n == 0 && error != null) {
            return new ReadAnswer(end, IncomingBatch.failure(p, first, error));
        }
        return new ReadAnswer(end, new IncomingBatch(p, first, n, md, offsets, ts, sizes, locations, null, error));
    }

    /** @return about how many bytes {@link #encode} writes (exact but for the error's message) */
    public int encodedSize() {
        if (batch == null) {
            return 9;
        }
        long size = 64;
        for (int i = 0; i < batch.count(); i++) {
            size += 28 + batch.metadataSize(i);
        }
        return (int) Math.min(size, Integer.MAX_VALUE - 8);
    }

    /**
     * Encodes the answer on the server: the end, then the batch if any (its error's message as {@link
     * Protocol#errorMessage}, cut to the protocol's length). The batch is not released.
     */
    public void encode(ByteBuf out) {
        if (batch == null) {
            out.writeByte(0).writeLong(end);
            return;
        }
        IncomingBatch b = batch;
        int n = b.count();
        out.writeByte(1).writeLong(end).writeLong(b.firstId()).writeInt(n);
        DiasporaException err = b.error();
        if (err != null) {
            out.writeByte(Protocol.kindOf(err));
            Protocol.writeString(out, Protocol.truncate(Protocol.errorMessage(err)));
        } else {
            out.writeByte(-1);
        }
        for (int i = 0; i < n; i++) {
            out.writeInt(b.metadataSize(i));
        }
        for (int i = 0; i < n; i++) {
            out.writeLong(b.timestampNanos(i)).writeLong(b.dataSize(i)).writeLong(b.location(i));
        }
        for (int i = 0; i < n; i++) {
            out.writeBytes(b.metadata(i));
        }
    }
}
