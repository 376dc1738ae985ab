package dev.diaspora.stream.netty;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.files.StoredDataSource;
import dev.diaspora.stream.files.storage.StoredData;
import dev.diaspora.stream.netty.ServerReplies.Reply;
import dev.diaspora.stream.netty.protocol.PartitionRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.ReadAnswer;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;
import java.util.ArrayList;
import java.util.List;

/**
 * The data-pull path of one server connection (PROTOCOL.md, "READ" and "READ_DATA"): metadata of events, then the
 * selected bytes of their data, copied or sent zero-copy as whole checksum blocks straight from the data files.
 *
 * <p>Thread safety: stateless between requests; served on the server's worker pool.
 */
final class DataPull {
    /**
     * Selections at least this large go zero-copy (whole blocks) on plaintext connections, if widening them to whole
     * blocks adds at most a quarter: 64 KiB, so that a whole 64 KiB event leaves the file by {@code sendfile} instead
     * of being read, checked and copied here. It no longer follows the checksum block (64 KiB in files format 1,
     * 4 KiB in format 2): smaller selections would now widen by little, but each zero-copy span costs a file region,
     * its CRCs in the answer head and a check on the client, which a small copy does not.
     */
    static final long ZERO_COPY_MIN = 64 << 10;
    /** Selections at least this large may also be widened by up to two blocks (their unaligned ends). */
    static final long ZERO_COPY_WIDE = 256 << 10;

    private final PartitionServer server;
    private final ServerConnection connection;
    private final Channel channel;

    DataPull(PartitionServer server, ServerConnection connection) {
        this.server = server;
        this.connection = connection;
        this.channel = connection.channel();
    }

    /** Serves READ: the metadata of events, copied into the answer. */
    ByteBuf read(PartitionRequests.Read req) {
        ServerTopic t = connection.topic(req.handle());
        int p = ServerConnection.partition(t, req.partition());
        long maxBytes = Math.min(req.maxBytes(), server.maxFrame() / 2);
        IncomingBatch b = t.local.read(p, req.from(), req.maxEvents(), maxBytes);
        try {
            ReadAnswer a = new ReadAnswer(t.local.bounds(p).next(), b);
            return Protocol.encode(channel.alloc(), a.encodedSize(), a::encode);
        } finally {
            if (b != null) {
                b.release();
            }
        }
    }

    /**
     * Serves READ_INLINE: READ's answer, then the whole data of the batch's first events smaller than
     * {@link Protocol#INLINE_EVENT_LIMIT}, as many as fit the request's {@code maxInline}, read with the files engine's
     * checked reads. The data stops before the first event that cannot be read (or at the first event at all if the
     * read fails): the client fetches the rest with READ_DATA, which reports the error for that event alone.
     *
     * @return a {@link ByteBuf}, or a {@link Reply} when data follows
     */
    Object readInline(PartitionRequests.ReadInline req) {
        ServerTopic t = connection.topic(req.handle());
        int p = ServerConnection.partition(t, req.partition());
        long maxBytes = Math.min(req.maxBytes(), server.maxFrame() / 2);
        IncomingBatch b = t.local.read(p, req.from(), req.maxEvents(), maxBytes);
        DataSection data = null;
        try {
            long end = t.local.bounds(p).next();
            long limit = Math.min(req.maxInline(), server.maxFrame() / 4);
            int k = 0;
            long bytes = 0;
            while (b != null && k < b.count() && b.dataSize(k) < Protocol.INLINE_EVENT_LIMIT
                    && bytes + b.dataSize(k) <= limit) {
                bytes += b.dataSize(k++);
            }
            if (k > 0) {
                data = new DataSection(channel.alloc(), bytes);
                List<DataRequest> requests = new ArrayList<>(k);
                for (int i = 0; i < k; i++) {
                    long id = b.firstId() + i;
                    int size = (int) b.dataSize(i);
                    DataView target = size == 0 ? DataView.EMPTY : DataView.of(data.next(size));
                    requests.add(new DataRequest(p, id, DataDescriptor.of(id, size), target));
                }
                k = readPrefix(t, requests);
                bytes = 0;
                for (int i = 0; i < k; i++) {
                    bytes += b.dataSize(i);
                }
            }
            int inline = k;
            ReadAnswer answer = new ReadAnswer(end, b);
            ByteBuf head = Protocol.encode(channel.alloc(), answer.encodedSize() + 4, out -> {
                answer.encode(out);
                out.writeInt(inline);
            });
            if (inline == 0) {
                return head;
            }
            server.countData(0, bytes);
            List<Object> parts = new ArrayList<>();
            parts.add(head);
            data.addPrefix(parts, bytes);
            return new Reply(parts, head.readableBytes() + bytes);
        } finally {
            if (data != null) {
                data.release();
            }
            if (b != null) {
                b.release();
            }
        }
    }

    /** @return how many of {@code requests}, from the first, were read (none if the read failed as a whole) */
    private static int readPrefix(ServerTopic t, List<DataRequest> requests) {
        try {
            t.local.readData(requests);
        } catch (RuntimeException e) {
            return 0; // READ_DATA reports it
        }
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).error() != null) {
                return i;
            }
        }
        return requests.size();
    }

    /**
     * READ_DATA. A selection of at least {@link #ZERO_COPY_MIN} bytes on a plaintext connection that whole blocks
     * cover with little waste (see {@link #zeroCopyWorthIt}) is sent as whole checksum blocks (the block size of the
     * event's segment, named in the answer; a connection of protocol version 3 or older gets blocks only of 64 KiB)
     * straight from the data file (a zero-copy file-to-socket transfer) with their CRCs, which the client verifies;
     * smaller ones, or any on a TLS connection, are read here (checked against their CRCs) and only the selected bytes
     * are sent.
     */
    Reply readData(PartitionRequests.ReadData req) {
        ServerTopic t = connection.topic(req.handle());
        int n = req.items().size();
        DiasporaException[] early = new DiasporaException[n];
        long[] sizes = new long[n];
        long[] baseSizes = new long[n];
        DataDescriptor[] descriptors = new DataDescriptor[n];
        int[] parts = new int[n];
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            PartitionRequests.ReadData.Item item = req.items().get(i);
            parts[i] = ServerConnection.partition(t, item.partition());
            ids[i] = item.eventId();
            baseSizes[i] = item.baseSize();
            long[] bounds = item.ranges();
            int nr = bounds.length / 2;
            descriptors[i] = DataDescriptor.NONE;
            try { // a hostile range (negative, outside the data) fails this request only
                List<DataDescriptor.Range> ranges = new ArrayList<>(nr);
                for (int r = 0; r < nr; r++) {
                    ranges.add(new DataDescriptor.Range(bounds[2 * r], bounds[2 * r + 1]));
                }
                descriptors[i] = DataDescriptor.of(ids[i], baseSizes[i]).makeUnstructuredView(ranges);
                sizes[i] = descriptors[i].size();
            } catch (RuntimeException e) {
                early[i] = e instanceof DiasporaException ? (DiasporaException) e
                        : new InvalidSelectionException("bad selection: " + e.getMessage(), e);
            }
        }
        // zero-copy candidates: whole blocks from the file, when widening costs little
        StoredData[] stored = new StoredData[n];
        long[][] spans = new long[n][];
        boolean plaintext = channel.pipeline().get("tls") == null;
        StoredDataSource source = t.backend instanceof StoredDataSource ? (StoredDataSource) t.backend : null;
        boolean namesBlockSize = connection.version() >= 4;
        long wire = 0;
        for (int i = 0; i < n; i++) {
            if (early[i] != null) {
                continue;
            }
            if (plaintext && source != null && sizes[i] >= ZERO_COPY_MIN) {
                StoredData sd;
                try { // the block size is the event's segment's: known once its records are read
                    sd = source.storedData(parts[i], ids[i], baseSizes[i]);
                } catch (DiasporaException e) {
                    early[i] = e;
                    continue;
                }
                if (namesBlockSize || sd.blockSize() == Protocol.V3_BLOCK_SIZE) {
                    long[] sp = blockSpans(descriptors[i], baseSizes[i], sd.blockSize());
                    long widened = 0;
                    for (int k = 1; k < sp.length; k += 2) {
                        widened += sp[k];
                    }
                    if (zeroCopyWorthIt(sizes[i], widened, sd.blockSize())) {
                        stored[i] = sd;
                        spans[i] = sp;
                        wire += Math.min(widened, Integer.MAX_VALUE);
                        continue;
                    }
                }
            }
            // each term is capped so that the sum cannot wrap around (n <= 2^20); the check below refuses it
            wire += Math.min(sizes[i], Integer.MAX_VALUE);
        }
        if (wire > server.maxFrame() - 1024L - 64L * n) {
            throw new DiasporaException("READ_DATA asks for " + wire + " bytes, more than one frame ("
                    + server.maxFrame() + "); split the request");
        }
        long copied = 0;
        for (int i = 0; i < n; i++) {
            if (early[i] == null && stored[i] == null) {
                copied += sizes[i];
            }
        }
        DataSection data = new DataSection(channel.alloc(), copied);
        List<DataRequest> requests = new ArrayList<>();
        DataRequest[] byIndex = new DataRequest[n];
        for (int i = 0; i < n; i++) {
            if (early[i] == null && stored[i] == null) {
                DataView target = sizes[i] == 0 ? DataView.EMPTY : DataView.of(data.next((int) sizes[i]));
                byIndex[i] = new DataRequest(parts[i], ids[i], descriptors[i], target);
                requests.add(byIndex[i]);
            }
        }
        try {
            if (!requests.isEmpty()) {
                t.local.readData(requests);
            }
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        ByteBuf head = channel.alloc().buffer();
        List<Object> out = new ArrayList<>();
        out.add(head);
        RegionRun run = new RegionRun(out);
        long length = 0;
        long at = 0;
        for (int i = 0; i < n; i++) {
            DiasporaException e = early[i] != null ? early[i] : byIndex[i] != null ? byIndex[i].error() : null;
            if (e != null) {
                head.writeByte(Protocol.kindOf(e));
                Protocol.writeString(head, Protocol.truncate(e.getMessage()));
            } else if (stored[i] != null) {
                StoredData sd = stored[i];
                long[] sp = spans[i];
                int bs = sd.blockSize();
                head.writeByte(Protocol.DATA_BLOCKS);
                if (namesBlockSize) {
                    head.writeInt(bs);
                }
                head.writeInt(sp.length / 2);
                for (int k = 0; k < sp.length; k += 2) {
                    long off = sp[k];
                    long len = sp[k + 1];
                    int first = (int) (off / bs);
                    int nb = (int) ((len + bs - 1) / bs);
                    head.writeLong(off).writeLong(len);
                    for (int b = 0; b < nb; b++) {
                        head.writeInt(sd.blockCrcs()[first + b]);
                    }
                    run.add(sd.file(), sd.position() + off, len);
                    length += len;
                }
            } else {
                head.writeByte(Protocol.DATA_SELECTED);
                if (sizes[i] > 0) {
                    run.flush();
                    out.add(data.slice(at, (int) sizes[i]));
                    length += sizes[i];
                }
            }
            if (byIndex[i] != null) {
                at += sizes[i];
            }
        }
        run.flush();
        data.release();
        server.countData(length - copied, copied);
        return new Reply(out, length + head.readableBytes());
    }

    /**
     * @return true if a selection of {@code size} bytes, {@code widened} bytes once widened to whole blocks of
     *     {@code blockSize} bytes, should go zero-copy: widening adds at most a quarter, and for selections of
     *     {@link #ZERO_COPY_WIDE} or more also up to two blocks (a large unaligned selection). A whole event or a
     *     block-aligned selection adds nothing.
     */
    static boolean zeroCopyWorthIt(long size, long widened, int blockSize) {
        if (size < ZERO_COPY_MIN) {
            return false;
        }
        return widened <= size + size / 4 + (size >= ZERO_COPY_WIDE ? 2L * blockSize : 0);
    }

    /** @return the selection widened to whole blocks, as (offset, length) pairs in selection order, merged */
    private static long[] blockSpans(DataDescriptor d, long dataLen, long bs) {
        List<long[]> spans = new ArrayList<>();
        d.flatten((off, size) -> {
            if (size <= 0) {
                return;
            }
            long a = off / bs * bs;
            long b = Math.min((off + size + bs - 1) / bs * bs, dataLen);
            long[] last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
            if (last != null && a >= last[0] && a <= last[1]) {
                last[1] = Math.max(last[1], b);
            } else {
                spans.add(new long[] {a, b});
            }
        });
        long[] out = new long[2 * spans.size()];
        for (int k = 0; k < spans.size(); k++) {
            out[2 * k] = spans.get(k)[0];
            out[2 * k + 1] = spans.get(k)[1] - spans.get(k)[0];
        }
        return out;
    }

    /** Coalesces adjacent ranges of one file into one file region (consecutive events are contiguous on disk). */
    private static final class RegionRun {
        private final List<Object> out;
        private java.nio.file.Path file;
        private long position;
        private long length;

        RegionRun(List<Object> out) {
            this.out = out;
        }

        void add(java.nio.file.Path f, long pos, long len) {
            if (file != null && file.equals(f) && position + length == pos) {
                length += len;
                return;
            }
            flush();
            file = f;
            position = pos;
            length = len;
        }

        void flush() {
            if (file != null && length > 0) {
                out.add(new DefaultFileRegion(file.toFile(), position, length));
            }
            file = null;
            length = 0;
        }
    }
}
