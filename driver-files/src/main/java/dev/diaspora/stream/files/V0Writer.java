package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Appends to a v0 topic exactly as the C++ {@code files} driver does: for a batch, the metadata records (u64 length
 * and the JSON text as nlohmann writes it, {@link V0Json}) at the end of {@code metadata}, then the data at the end
 * of {@code data}, then the 32-byte index records at the end of {@code index}, the commit point for readers.
 *
 * <p><b>One writing process.</b> The C++ library takes no lock (unless its {@code use_file_locking} is set, and even
 * then it appends at offsets it read when it opened the partition), so a C++ and a Java writer appending to one topic
 * at once overwrite each other: never do that. Among Java processes, the writer holds an exclusive lock on
 * {@code .diaspora-java/append.lock} from its first append until the last producer of the topic in the JVM closes;
 * a producer of another process is refused meanwhile. Every append re-reads the three file sizes, so it continues
 * after what a C++ writer appended while no Java producer was open. A torn index tail (a writer killed in the middle
 * of an index write) is cut before the next append, as those bytes were never a whole record.
 *
 * <p>Durability: like the C++ default ({@code flush_behavior: buffered}), nothing is forced to the device: an event
 * survives the process being killed, not a power loss.
 *
 * <p>Thread safety: thread-safe; one instance per topic directory in the JVM ({@link #acquire}).
 */
final class V0Writer {
    private static final Map<Path, V0Writer> OPEN = new ConcurrentHashMap<>();

    private final Path topicDir;
    private final String topic;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<Integer, FileChannel[]> channels = new ConcurrentHashMap<>(); // guarded by monitor(p)
    private final Map<Integer, Object> monitors = new ConcurrentHashMap<>();
    private int users; // guarded by OPEN's bin (compute)

    private V0Writer(Path topicDir, String topic, FileChannel lockChannel, FileLock lock) {
        this.topicDir = topicDir;
        this.topic = topic;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Takes the topic's append lock for this JVM (shared by its producers), or fails if another process holds it.
     *
     * @throws DiasporaException naming the lock file if another Java process appends to the topic
     */
    static V0Writer acquire(Path topicDir, String topic) {
        Path key = topicDir.toAbsolutePath().normalize();
        return OPEN.compute(key, (k, cur) -> {
            V0Writer w = cur != null ? cur : open(k, topic);
            w.users++;
            return w;
        });
    }

    private static V0Writer open(Path dir, String topic) {
        Path f = dir.resolve(V0Layout.JAVA_DIR).resolve("append.lock");
        FileChannel ch = null;
        try {
            Files.createDirectories(f.getParent());
            ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock();
            if (l == null) {
                throw new DiasporaException("v0 topic '" + topic + "': another process is appending to it (it holds"
                        + " the lock on " + f + "). A v0 topic has one writing process at a time: close the producer"
                        + " of the other process, or produce to a topic in the files layout, which any number of"
                        + " processes may write");
            }
            return new V0Writer(dir, topic, ch, l);
        } catch (IOException | OverlappingFileLockException e) {
            close(ch);
            throw new DiasporaException("v0 topic '" + topic + "': cannot take the append lock " + f + ": " + e
                    + ". Check that the topic directory is writable", e);
        } catch (RuntimeException e) {
            close(ch);
            throw e;
        }
    }

    /** Releases one use; the last one in the JVM releases the lock. */
    void release() {
        OPEN.computeIfPresent(topicDir, (k, w) -> {
            if (--w.users > 0) {
                return w;
            }
            w.closeAll();
            return null;
        });
    }

    private void closeAll() {
        for (FileChannel[] cs : channels.values()) {
            for (FileChannel c : cs) {
                close(c);
            }
        }
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
        close(lockChannel);
    }

    private static void close(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing was written through it after the last append completed
            }
        }
    }

    private FileChannel[] channels(int p) throws IOException {
        FileChannel[] cs = channels.get(p);
        if (cs == null) {
            Path d = V0Layout.partitionDir(topicDir, p);
            Files.createDirectories(d);
            cs = new FileChannel[3];
            String[] names = {V0Layout.INDEX, V0Layout.METADATA, V0Layout.DATA};
            for (int i = 0; i < 3; i++) {
                cs[i] = FileChannel.open(d.resolve(names[i]), StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            channels.put(p, cs);
        }
        return cs;
    }

    /**
     * Appends batches to partition {@code p} (called by one I/O thread per topic handle; the partition's monitor
     * orders handles of one JVM).
     *
     * @return the id of each batch's first event
     * @throws InvalidMetadataException if an event's metadata is not JSON (nothing of the batches is written)
     */
    long[] append(int p, List<OutgoingBatch> batches) {
        List<byte[]> texts = new ArrayList<>();
        for (OutgoingBatch b : batches) {
            for (int i = 0; i < b.count(); i++) {
                texts.add(V0Json.compact(b.metadata(i)));
            }
        }
        synchronized (monitor(p)) {
            try {
                FileChannel[] cs = channels(p);
                FileChannel index = cs[0];
                long indexSize = index.size();
                if (indexSize % V0Layout.RECORD != 0) {
                    indexSize -= indexSize % V0Layout.RECORD; // a torn record: never committed
                    index.truncate(indexSize);
                }
                long mdEnd = cs[1].size();
                long dataEnd = cs[2].size();
                long firstId = indexSize / V0Layout.RECORD;
                int events = texts.size();
                long mdBytes = 0;
                for (byte[] t : texts) {
                    mdBytes += 8 + t.length;
                }
                ByteBuffer md = ByteBuffer.allocate((int) mdBytes).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer idx = ByteBuffer.allocate(events * V0Layout.RECORD).order(ByteOrder.LITTLE_ENDIAN);
                List<ByteBuffer> data = new ArrayList<>();
                long[] firstIds = new long[batches.size()];
                long mo = mdEnd;
                long dof = dataEnd;
                int e = 0;
                for (int bi = 0; bi < batches.size(); bi++) {
                    OutgoingBatch b = batches.get(bi);
                    firstIds[bi] = firstId + e;
                    for (int i = 0; i < b.count(); i++, e++) {
                        byte[] t = texts.get(e);
                        md.putLong(t.length).put(t);
                        DataView v = b.data(i);
                        for (int s = 0; s < v.segmentCount(); s++) {
                            if (v.segment(s).hasRemaining()) {
                                data.add(v.segment(s).duplicate());
                            }
                        }
                        idx.putLong(mo).putLong(8L + t.length).putLong(dof).putLong(v.size());
                        mo += 8 + t.length;
                        dof += v.size();
                    }
                }
                md.flip();
                idx.flip();
                writeAll(cs[1], new ByteBuffer[] {md}, mdEnd);
                writeAll(cs[2], data.toArray(new ByteBuffer[0]), dataEnd);
                writeAll(index, new ByteBuffer[] {idx}, indexSize);
                return firstIds;
            } catch (IOException ex) {
                throw new DiasporaException("v0 topic '" + topic + "' partition " + p + ": cannot append to "
                        + V0Layout.partitionDir(topicDir, p) + ": " + ex + ". Check free space and permissions; the"
                        + " index was not written past the last complete batch unless this names the index file",
                        ex);
            }
        }
    }

    private Object monitor(int p) {
        return monitors.computeIfAbsent(p, k -> new Object());
    }

    /** Gathering write of every buffer at {@code pos}, whatever short writes the OS makes. */
    private static void writeAll(FileChannel ch, ByteBuffer[] bufs, long pos) throws IOException {
        ch.position(pos);
        long left = 0;
        for (ByteBuffer b : bufs) {
            left += b.remaining();
        }
        while (left > 0) {
            left -= ch.write(bufs);
        }
    }
}
