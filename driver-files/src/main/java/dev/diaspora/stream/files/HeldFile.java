package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group member's {@code <id>.held} file (FORMAT.md 8.4): the partitions whose lease the member holds, for readers
 * that describe the group without joining it. Big endian, rewritten in place and then truncated:
 *
 * <pre>
 *  [0,4) count n (u32) | [4, 4 + 4n) partitions (u32 each, ascending) | [4 + 4n, 8 + 4n) CRC32C of [0, 4 + 4n)
 * </pre>
 *
 * A reader that meets a torn write (bad CRC, short file) reads again; the file is advisory: the leases stay the OS
 * locks of the lease files, and a failure to write it is logged, never fails the consumer.
 *
 * <p>Ownership: the member that created it writes it and closes it. Thread safety: {@link #add}/{@link #remove} are
 * thread-safe (a lease may be released from another thread than the one that took it); {@link #read} is static.
 */
final class HeldFile implements AutoCloseable {
    /** The file name suffix after the member id. */
    static final String SUFFIX = ".held";
    private static final Logger LOG = LoggerFactory.getLogger(HeldFile.class);
    /**
     * The pauses before a torn file is read again: 1 ms at first (a torn write is over within microseconds),
     * doubling (jittered) up to 4 ms, four times; then the file counts as unreadable.
     */
    static final Backoff TORN_READ_RETRY = Backoff.exponential(Duration.ofMillis(1), Duration.ofMillis(4))
            .maxRetries(4);

    private final Path file;
    private final FileChannel channel;
    private final TreeSet<Integer> partitions = new TreeSet<>(); // guarded by this
    private boolean warned; // guarded by this

    private HeldFile(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Creates the file, listing no partition. */
    static HeldFile create(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        HeldFile h = new HeldFile(file, ch);
        try {
            h.write();
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return h;
    }

    /** Lists {@code p}; {@code name} (the consumer name) is for the log. */
    synchronized void add(int p, String name) {
        if (partitions.add(p)) {
            tryWrite(name);
        }
    }

    /** Unlists {@code p}. */
    synchronized void remove(int p, String name) {
        if (partitions.remove(p)) {
            tryWrite(name);
        }
    }

    private void tryWrite(String name) { // holds this
        try {
            write();
        } catch (ClosedChannelException e) {
            // the member left: its file is gone
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                LOG.warn("consumer '{}': cannot record its partitions in {} ({}); consuming goes on, but"
                        + " 'diaspora-ctl consumer describe' may show them wrong", name, file, e.toString());
            }
        }
    }

    private void write() throws IOException {
        ByteBuffer b = encode(new ArrayList<>(partitions));
        int size = b.remaining();
        long pos = 0;
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
        channel.truncate(size);
    }

    static ByteBuffer encode(List<Integer> sortedPartitions) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * sortedPartitions.size());
        b.putInt(sortedPartitions.size());
        for (int p : sortedPartitions) {
            b.putInt(p);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** @return the partitions, or null if the bytes are not a whole, valid list */
    static List<Integer> decode(ByteBuffer b) {
        if (b.remaining() < 8) {
            return null;
        }
        int n = b.getInt(0);
        if (n < 0 || n > (b.remaining() - 8) / 4) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(4 + 4 * n));
        if (b.getInt(4 + 4 * n) != (int) crc.getValue()) {
            return null;
        }
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(b.getInt(4 + 4 * i));
        }
        return out;
    }

    /**
     * @return the partitions the file lists, or null if there is no file (a member of a version that does not write
     *     it) or it stays unreadable over a few attempts
     */
    static List<Integer> read(Path file) {
        return read(file, Clock.system());
    }

    /** {@link #read(Path)}, pausing on {@code clock} between the reads of a torn file (tests count the pauses) */
    static List<Integer> read(Path file, Clock clock) {
        Backoff.Retry retry = null;
        while (true) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size <= Integer.MAX_VALUE / 2) {
                    ByteBuffer b = ByteBuffer.allocate((int) size);
                    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
                        // read it all
                    }
                    List<Integer> out = decode(b.flip());
                    if (out != null) {
                        return out;
                    }
                }
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                LOG.debug("cannot read {}: {}", file, e.toString());
            }
            if (retry == null) {
                retry = TORN_READ_RETRY.start(clock);
            }
            try {
                if (!retry.pause()) {
                    return null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null; // advisory: the member is described without its partitions
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
