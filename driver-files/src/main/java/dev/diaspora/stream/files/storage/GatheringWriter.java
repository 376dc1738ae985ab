package dev.diaspora.stream.files.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Writes a sequence of buffers to one file position with gathering writes: direct buffers go to the kernel as they
 * are (no copy), heap bytes are copied into one direct staging buffer (the copy the JDK would make anyway, without
 * its per-thread cache of temporary buffers that never shrinks). At most {@value #MAX_IOV} buffers per call, looped
 * until every byte is written; a single buffer goes as one positional write (no seek first).
 *
 * <p>Thread safety: confined to one thread.
 */
final class GatheringWriter {
    static final int MAX_IOV = 1024;

    private ByteBuffer staging;
    private final ByteBuffer[] iov = new ByteBuffer[MAX_IOV];
    private int count;
    private int stagedFrom;
    private FileChannel channel;
    private long position;

    /** @param staging a direct buffer owned by the caller until it gives the writer another one ({@link #use}) */
    GatheringWriter(ByteBuffer staging) {
        this.staging = staging;
    }

    /**
     * Gives the writer another staging buffer, owned by the caller while the writer uses it: one writer serves many
     * appends (its array of buffers is not allocated again for each), each with a staging buffer of the pool.
     */
    void use(ByteBuffer staging) {
        this.staging = staging;
        Arrays.fill(iov, 0, count, null); // after a failed write: no producer buffer stays referenced
        count = 0;
        channel = null;
    }

    /** Starts writing at {@code pos} of {@code ch}. */
    void begin(FileChannel ch, long pos) {
        this.channel = ch;
        this.position = pos;
        this.count = 0;
        staging.clear();
        stagedFrom = 0;
    }

    /**
     * Adds {@code b}'s remaining bytes. The writer consumes {@code b}'s position: pass a duplicate of anything that is
     * not yours.
     */
    void add(ByteBuffer b) throws IOException {
        if (!b.hasRemaining()) {
            return;
        }
        if (b.isDirect()) {
            closeStaged();
            if (count == MAX_IOV) {
                writeOut();
            }
            iov[count++] = b;
            return;
        }
        while (b.hasRemaining()) {
            if (!staging.hasRemaining()) {
                flush();
            }
            int k = Math.min(staging.remaining(), b.remaining());
            staging.put(staging.position(), b, b.position(), k);
            staging.position(staging.position() + k);
            b.position(b.position() + k);
        }
    }

    /** Adds {@code len} bytes of {@code a} from {@code off} (copied into staging). */
    void addBytes(byte[] a, int off, int len) throws IOException {
        while (len > 0) {
            if (!staging.hasRemaining()) {
                flush();
            }
            int k = Math.min(staging.remaining(), len);
            staging.put(a, off, k);
            off += k;
            len -= k;
        }
    }

    /** Writes everything added so far; returns the file position after the last byte. */
    long finish() throws IOException {
        flush();
        channel = null;
        return position;
    }

    private void closeStaged() throws IOException {
        int p = staging.position();
        if (p > stagedFrom) {
            if (count == MAX_IOV) {
                writeOut();
            }
            iov[count++] = staging.slice(stagedFrom, p - stagedFrom);
            stagedFrom = p;
        }
    }

    private void flush() throws IOException {
        closeStaged();
        writeOut();
        staging.clear();
        stagedFrom = 0;
    }

    private void writeOut() throws IOException {
        if (count == 0) {
            return;
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += iov[i].remaining();
        }
        if (count == 1) { // one buffer (a small append's metadata or index records): one pwrite, no lseek
            ByteBuffer b = iov[0];
            for (long at = position; b.hasRemaining(); ) {
                at += channel.write(b, at);
            }
        } else {
            channel.position(position);
            long done = 0;
            int first = 0;
            while (done < total) {
                done += channel.write(iov, first, count - first);
                while (first < count && !iov[first].hasRemaining()) {
                    first++;
                }
            }
        }
        position += total;
        Arrays.fill(iov, 0, count, null);
        count = 0;
    }
}
