package dev.diaspora.stream.netty;

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
record ReadAnswer(long end, IncomingBatch batch) {
    /**
     * Decodes a READ answer for global partition {@code p} from {@code server} (the frame is not released).
     *
     * @throws Protocol.BadFrameException if the answer is truncated or a count is out of range
     */
    static ReadAnswer decode(ByteBuf a, int p, String server) {
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
            offsets[i + 1] = offsets[i] + a.readInt();
        }
        long[] ts = new long[n];
        long[] sizes = new long[n];
        long[] locations = new long[n];
        for (int i = 0; i < n; i++) {
            ts[i] = a.readLong();
            sizes[i] = a.readLong();
            locations[i] = a.readLong();
        }
        ByteBuffer md = ByteBuffer.allocate(offsets[n]);
        a.readBytes(md);
        md.flip();
        if (n == 0 && error != null) {
            return new ReadAnswer(end, IncomingBatch.failure(p, first, error));
        }
        return new ReadAnswer(end, new IncomingBatch(p, first, n, md, offsets, ts, sizes, locations, null, error));
    }
}
