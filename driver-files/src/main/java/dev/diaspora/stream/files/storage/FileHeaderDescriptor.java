package dev.diaspora.stream.files.storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The 64-byte header that starts every file the driver writes with binary records (data, metadata and index
 * segments, and consumer position files). All integers are little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic "DIASPORA" (8 ASCII bytes)              |  0
 *  +---------------------------------------------------------------+
 *  |            format version (u32): 1 or 2 (see below)            |  8
 *  +---------------------------------------------------------------+
 *  | kind (u32): 1 data, 2 meta, 3 index, 4 positions, 5 reserved, 6 gap | 12
 *  +---------------------------------------------------------------+
 *  |             base EventID (u64; 0 for positions)               | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   data checksum block size (u32): 65536 (v1), 4096 (v2)       | 24
 *  +---------------------------------------------------------------+
 *  |        partition index (u32; 0xFFFFFFFF for positions)        | 28
 *  +---------------------------------------------------------------+
 *  |                 reserved, zero (28 bytes)                     | 32..59
 *  +---------------------------------------------------------------+
 *  |              CRC32C of bytes [0, 60) (u32)                    | 60
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Versions (FORMAT.md, "Versioning"): version 2 differs from version 1 only in the data checksum block of segment
 * files (4 KiB instead of 64 KiB, so that a selective read reads little more than it selects). New data, metadata and
 * index segments are written in version 2; the other files (positions, reservation, gap links) did not change and
 * are still written in version 1, so that an older release keeps reading them. Readers accept both versions in every
 * file, each segment with the block size its own header declares.
 *
 * <p>Thread safety: stateless.
 */
public final class FileHeaderDescriptor {
    /** Header length; the first record of a file starts here. */
    public static final int LENGTH = 64;
    /** The magic bytes. */
    public static final byte[] MAGIC = "DIASPORA".getBytes(StandardCharsets.US_ASCII);
    /** The format version this code writes in new segments, and the newest it reads. */
    public static final int FORMAT_VERSION = 2;
    /** The format version of the files whose layout version 2 did not change (positions, reservation, gap links). */
    static final int UNCHANGED_FILES_VERSION = 1;
    /** Kind of a data segment. */
    public static final int KIND_DATA = 1;
    /** Kind of a metadata segment. */
    public static final int KIND_META = 2;
    /** Kind of an index segment. */
    public static final int KIND_INDEX = 3;
    /** Kind of a consumer position file. */
    public static final int KIND_POSITIONS = 4;
    /** Kind of a partition's EventID reservation file ({@code reserved}). */
    public static final int KIND_RESERVATION = 5;
    /** Kind of a lost-range link ({@code <end>.gap}). */
    public static final int KIND_GAP = 6;
    /** Size of the blocks that each carry one data CRC32C in the segments this code writes (format version 2). */
    public static final int DATA_BLOCK_SIZE = 4096;
    /** The data checksum block of format version 1. */
    public static final int V1_DATA_BLOCK_SIZE = 65_536;
    /** Partition field of files that belong to no partition. */
    public static final int NO_PARTITION = -1;

    static final int VERSION_OFFSET = 8;
    static final int KIND_OFFSET = 12;
    static final int BASE_OFFSET = 16;
    static final int BLOCK_SIZE_OFFSET = 24;
    static final int PARTITION_OFFSET = 28;
    static final int CRC_OFFSET = 60;

    private FileHeaderDescriptor() {
    }

    /**
     * Test seam: the format version of the segments this code creates ({@link #FORMAT_VERSION} in production; tests
     * set 1 to write the segments the previous release wrote, then set it back).
     */
    static volatile int segmentVersion = FORMAT_VERSION;

    /** Ends the message of a header written by a newer release (not damage: no restore or removal helps). */
    static final String UPGRADE = "upgrade the library";

    /** @return the format version whose data checksum block is {@code blockSize} bytes */
    static int versionOf(int blockSize) {
        return blockSize == V1_DATA_BLOCK_SIZE ? 1 : FORMAT_VERSION;
    }

    /** @return the data checksum block size of format {@code version} (1 or 2) */
    public static int blockSize(int version) {
        return version == 1 ? V1_DATA_BLOCK_SIZE : DATA_BLOCK_SIZE;
    }

    /**
     * @return a new 64-byte header, little-endian, position 0, limit 64: version {@link #FORMAT_VERSION} for
     *     segment files, 1 for the files version 2 did not change
     */
    public static ByteBuffer encode(int kind, long base, int partition) {
        boolean segment = kind == KIND_DATA || kind == KIND_META || kind == KIND_INDEX;
        return encode(kind, base, partition, segment ? segmentVersion : UNCHANGED_FILES_VERSION);
    }

    /** @return a new 64-byte header of format {@code version} (1 or 2), little-endian, position 0, limit 64 */
    static ByteBuffer encode(int kind, long base, int partition, int version) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, MAGIC);
        b.putInt(VERSION_OFFSET, version);
        b.putInt(KIND_OFFSET, kind);
        b.putLong(BASE_OFFSET, base);
        b.putInt(BLOCK_SIZE_OFFSET, blockSize(version));
        b.putInt(PARTITION_OFFSET, partition);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, CRC_OFFSET);
        b.putInt(CRC_OFFSET, (int) crc.getValue());
        return b;
    }

    /**
     * Checks a header.
     *
     * @param header at least 64 bytes from index 0 (absolute reads; any byte order)
     * @return null if the header is a valid header (version 1 or 2) of this kind, base and partition, else what is
     *     wrong
     */
    public static String check(ByteBuffer header, int kind, long base, int partition) {
        ByteBuffer b = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(i) != MAGIC[i]) {
                return "it does not start with the magic bytes \"DIASPORA\" (not a file of this driver, or damaged)";
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(CRC_OFFSET));
        if ((int) crc.getValue() != b.getInt(CRC_OFFSET)) {
            return "its 64-byte header fails its checksum (damaged)";
        }
        int version = b.getInt(VERSION_OFFSET);
        if (version > FORMAT_VERSION) {
            return "it was written in format version " + version + " by a newer diaspora-driver-files; this version"
                    + " reads formats 1 to " + FORMAT_VERSION + ": " + UPGRADE;
        }
        if (version < 1) {
            return "it declares the invalid format version " + version;
        }
        if (b.getInt(KIND_OFFSET) != kind) {
            return "its header declares kind " + b.getInt(KIND_OFFSET) + " where " + kind + " was expected";
        }
        if (b.getLong(BASE_OFFSET) != base) {
            return "its header declares base EventID " + b.getLong(BASE_OFFSET) + " but its name says " + base;
        }
        if (b.getInt(BLOCK_SIZE_OFFSET) != blockSize(version)) {
            return "its header declares a data block size of " + b.getInt(BLOCK_SIZE_OFFSET) + " (format " + version
                    + " uses " + blockSize(version) + ")";
        }
        if (b.getInt(PARTITION_OFFSET) != partition) {
            return "its header says it belongs to partition " + b.getInt(PARTITION_OFFSET) + ", not " + partition;
        }
        return null;
    }

    /** @return the data checksum block size a header declares (call after {@link #check} accepted it) */
    static int declaredBlockSize(ByteBuffer header) {
        return header.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(BLOCK_SIZE_OFFSET);
    }
}
