package dev.diaspora.stream.netty;

import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.DataRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The client side of READ_DATA (PROTOCOL.md, "READ_DATA"): encodes a chunk of data requests, and decodes the answer
 * into the requests' targets, verifying every block sent zero-copy against its stored CRC32C before copying the
 * selected bytes out of it (the one user-space copy of a data byte on the client).
 *
 * <p>Thread safety: stateless.
 */
final class ReadDataCodec {
    private ReadDataCodec() {
    }

    /**
     * @param localOf the partition index on the server of each global partition
     * @return the payload of a READ_DATA request for {@code chunk} on topic handle {@code handle}
     */
    static ByteBuf encode(ByteBufAllocator alloc, int handle, int[] localOf, List<DataRequest> chunk) {
        List<PartitionRequests.ReadData.Item> items = new ArrayList<>(chunk.size());
        for (DataRequest r : chunk) {
            DataDescriptor d = r.descriptor();
            long[][] ranges = {new long[8]};
            int[] n = {0};
            d.flatten((off, size) -> {
                if (n[0] == ranges[0].length) {
                    ranges[0] = Arrays.copyOf(ranges[0], 2 * n[0]);
                }
                ranges[0][n[0]++] = off;
                ranges[0][n[0]++] = size;
            });
            items.add(new PartitionRequests.ReadData.Item(localOf[r.partition()], r.eventId(), d.baseSize(),
                    Arrays.copyOf(ranges[0], n[0])));
        }
        return new PartitionRequests.ReadData(handle, items).encode(alloc);
    }

    /**
     * Decodes the answer {@code a} to {@code chunk}: fills each request's target, or fails it with the server's error
     * or a {@link CorruptDataException} naming the damaged block.
     *
     * @param server the server's address, for messages
     */
    static void fill(String server, List<DataRequest> chunk, ByteBuf a) {
        int n = chunk.size();
        int[] kinds = new int[n];
        String[] messages = new String[n];
        long[][] spans = new long[n][];
        int[][] crcs = new int[n][];
        int[] blockSizes = new int[n];
        for (int i = 0; i < n; i++) {
            kinds[i] = a.readByte();
            if (kinds[i] == Protocol.DATA_BLOCKS) {
                int bs = a.readInt();
                if (bs <= 0 || bs > Protocol.MAX_BLOCK_SIZE) {
                    throw new Protocol.BadFrameException("READ_DATA blocks answer names a checksum block of " + bs
                            + " bytes (1 to " + Protocol.MAX_BLOCK_SIZE + ")");
                }
                blockSizes[i] = bs;
                int ns = Protocol.readCount(a, Protocol.MAX_RANGES, 16, "READ_DATA spans");
                spans[i] = new long[2 * ns];
                int[] cs = new int[0];
                for (int k = 0; k < ns; k++) {
                    spans[i][2 * k] = a.readLong();
                    long len = spans[i][2 * k + 1] = a.readLong();
                    if (len < 0 || len > a.readableBytes()) { // its bytes come after the statuses, in this frame
                        throw new Protocol.BadFrameException("READ_DATA blocks answer names a span of " + len
                                + " bytes; the frame has " + a.readableBytes() + " left");
                    }
                    long blocks = (len + bs - 1) / bs;
                    Protocol.need(a, 4 * blocks, "READ_DATA block checksums");
                    int at = cs.length;
                    cs = Arrays.copyOf(cs, at + (int) blocks);
                    for (int b = at; b < cs.length; b++) {
                        cs[b] = a.readInt();
                    }
                }
                crcs[i] = cs;
            } else if (kinds[i] != Protocol.DATA_SELECTED) {
                messages[i] = Protocol.readString(a, "error");
            }
        }
        long dataBytes = 0; // what the statuses announce: checked before any is copied
        for (int i = 0; i < n; i++) {
            if (kinds[i] == Protocol.DATA_SELECTED) {
                dataBytes += chunk.get(i).descriptor().size();
            } else if (kinds[i] == Protocol.DATA_BLOCKS) {
                for (int k = 1; k < spans[i].length; k += 2) {
                    dataBytes += spans[i][k];
                }
            }
        }
        Protocol.need(a, dataBytes, "READ_DATA data");
        CRC32C crc = new CRC32C();
        for (int i = 0; i < n; i++) {
            DataRequest r = chunk.get(i);
            if (kinds[i] == Protocol.DATA_SELECTED) {
                copyInto(r, a.readSlice(Math.toIntExact(r.descriptor().size())), 0);
            } else if (kinds[i] == Protocol.DATA_BLOCKS) {
                fillFromBlocks(server, r, blockSizes[i], spans[i], crcs[i], a, crc);
            } else {
                r.fail(Protocol.toException(kinds[i], messages[i], server));
            }
        }
    }

    /**
     * Verifies whole blocks of {@code bs} bytes sent zero-copy by the server and copies the selected bytes out of
     * them. When the whole event is selected and sent as one span (the common case), each received piece is copied
     * and checksummed while it is in the cache; otherwise every span is verified first and the selection copied
     * after. A block that fails its checksum fails the request (its target may then hold bytes the user never sees).
     */
    private static void fillFromBlocks(String server, DataRequest r, int bs, long[] spans, int[] crcs, ByteBuf a,
            CRC32C crc) {
        DataDescriptor d = r.descriptor();
        if (d.depth() == 0 && spans.length == 2 && spans[0] == 0 && spans[1] == d.size()) {
            verify(server, r, bs, 0, a.readSlice(Math.toIntExact(spans[1])), crcs, 0, crc, r.target());
            return;
        }
        ByteBuf[] bufs = new ByteBuf[spans.length / 2];
        for (int k = 0; k < bufs.length; k++) { // all of them first: the next request's data starts after the last
            bufs[k] = a.readSlice(Math.toIntExact(spans[2 * k + 1]));
        }
        int ci = 0;
        for (int k = 0; k < bufs.length && ci >= 0; k++) {
            ci = verify(server, r, bs, spans[2 * k], bufs[k], crcs, ci, crc, null);
        }
        if (ci < 0) {
            return;
        }
        long[] at = {0};
        d.flatten((off, size) -> {
            for (int k = 0; k < bufs.length; k++) {
                long so = spans[2 * k];
                if (off >= so && off + size <= so + spans[2 * k + 1]) {
                    at[0] = copyInto(r, bufs[k].slice((int) (off - so), (int) size), at[0]);
                    return;
                }
            }
            throw new DiasporaException("server " + server + " sent blocks that do not cover the selected range ["
                    + off + ", " + (off + size) + ") of partition " + r.partition() + " event " + r.eventId());
        });
    }

    /**
     * Checks the blocks of one span (starting at byte {@code off} of the event, a multiple of {@code bs}) against
     * {@code crcs} from index {@code ci}, in one walk over the span's buffers (not one array of them per block: a
     * 64 KiB event has 16 blocks), copying each piece to {@code copyTo} at its offset in the span first if not null.
     *
     * @return the index of the span's last checksum plus one, or -1 when a block failed (and with it the request)
     */
    private static int verify(String server, DataRequest r, int bs, long off, ByteBuf span, int[] crcs, int ci,
            CRC32C crc, DataView copyTo) {
        int size = span.readableBytes();
        long at = 0;
        int blockStart = 0;
        int blockLeft = Math.min(bs, size);
        crc.reset();
        for (ByteBuffer bb : span.nioBuffers()) {
            while (bb.hasRemaining()) {
                int take = Math.min(bb.remaining(), blockLeft);
                int lim = bb.limit();
                bb.limit(bb.position() + take);
                if (copyTo != null) {
                    at += copyTo.write(at, bb); // absolute: bb's position stays for the checksum
                }
                crc.update(bb);
                bb.limit(lim);
                blockLeft -= take;
                if (blockLeft > 0) {
                    continue;
                }
                int blockEnd = blockStart + Math.min(bs, size - blockStart);
                if ((int) crc.getValue() != crcs[ci++]) {
                    r.fail(new CorruptDataException("Partition " + r.partition() + " event " + r.eventId()
                            + ": data block " + (off + blockStart) / bs + " (bytes [" + (off + blockStart) + ", "
                            + (off + blockEnd) + ")) fails its checksum (sent by server " + server + ")"));
                    return -1;
                }
                crc.reset();
                blockStart = blockEnd;
                blockLeft = Math.min(bs, size - blockStart);
            }
        }
        return ci;
    }

    private static long copyInto(DataRequest r, ByteBuf src, long at) {
        for (ByteBuffer bb : src.nioBuffers()) {
            at += r.target().write(at, bb);
        }
        return at;
    }
}
