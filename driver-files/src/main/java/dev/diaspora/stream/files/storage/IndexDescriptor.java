package dev.diaspora.stream.files.storage;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One index record: 48 bytes, fixed size, little-endian. Record {@code i} of the index segment whose base is
 * {@code B} describes EventID {@code B + i} and starts at file offset {@code 64 + 48 * i}. The index record is the
 * commit point of its event: an event exists once its index record is written and valid.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |        metadata record position in the .meta segment (u64)   |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          metadata record length (u32, includes the CRCs)      |  8
 *  +---------------------------------------------------------------+
 *  |          CRC32C of the whole metadata record (u32)            | 12
 *  +---------------------------------------------------------------+
 *  |           data position in the .data segment (u64)            | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     data length (u64)                         | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |     storage timestamp (i64, ns since the epoch, non-decreasing | 32
 *  |     within a partition)                                       |
 *  +---------------------------------------------------------------+
 *  |   write index (u32): position of this record within the run   | 40
 *  |   of records committed by one index write, from 0             |
 *  +---------------------------------------------------------------+
 *  |             CRC32C of bytes [0, 44) of this record (u32)      | 44
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>The write index lets recovery tell a torn write (only the last index write can be incomplete) from a damaged
 * record in the middle of the log (see FORMAT.md, "Recovery").
 *
 * <p>Thread safety: stateless; the {@link CRC32C} passed in is the caller's.
 */
public final class IndexDescriptor {
    /** Length of one record. */
    public static final int RECORD_SIZE = 48;
    /** Offset of the metadata position. */
    public static final int META_POSITION_OFFSET = 0;
    /** Offset of the metadata length. */
    public static final int META_LENGTH_OFFSET = 8;
    /** Offset of the metadata CRC. */
    public static final int META_CRC_OFFSET = 12;
    /** Offset of the data position. */
    public static final int DATA_POSITION_OFFSET = 16;
    /** Offset of the data length. */
    public static final int DATA_LENGTH_OFFSET = 24;
    /** Offset of the timestamp. */
    public static final int TIMESTAMP_OFFSET = 32;
    /** Offset of the write index. */
    public static final int WRITE_INDEX_OFFSET = 40;
    /** Offset of the record CRC. */
    public static final int RECORD_CRC_OFFSET = 44;

    private IndexDescriptor() {
    }

    /** @return the file offset of record {@code i} */
    public static long recordOffset(long i) {
        return FileHeaderDescriptor.LENGTH + i * RECORD_SIZE;
    }

    /** @return how many whole records an index file of {@code fileSize} bytes holds (0 if the header is short) */
    public static long recordCount(long fileSize) {
        return fileSize < FileHeaderDescriptor.LENGTH ? 0 : (fileSize - FileHeaderDescriptor.LENGTH) / RECORD_SIZE;
    }

    /**
     * @param blockSize the data checksum block size of the event's segment (its header's)
     * @return the number of data CRCs (one per block) an event of {@code dataLength} bytes carries
     */
    public static long blockCount(long dataLength, int blockSize) {
        return (dataLength + blockSize - 1) / blockSize;
    }

    /**
     * Writes a record into {@code buf} (little-endian, heap with an array) at {@code at}, with its CRC.
     */
    public static void encode(ByteBuffer buf, int at, long metaPosition, int metaLength, int metaCrc,
            long dataPosition, long dataLength, long timestampNanos, int writeIndex, CRC32C crc) {
        buf.putLong(at + META_POSITION_OFFSET, metaPosition);
        buf.putInt(at + META_LENGTH_OFFSET, metaLength);
        buf.putInt(at + META_CRC_OFFSET, metaCrc);
        buf.putLong(at + DATA_POSITION_OFFSET, dataPosition);
        buf.putLong(at + DATA_LENGTH_OFFSET, dataLength);
        buf.putLong(at + TIMESTAMP_OFFSET, timestampNanos);
        buf.putInt(at + WRITE_INDEX_OFFSET, writeIndex);
        crc.reset();
        crc.update(buf.array(), buf.arrayOffset() + at, RECORD_CRC_OFFSET);
        buf.putInt(at + RECORD_CRC_OFFSET, (int) crc.getValue());
    }

    /** @return true if the record at {@code at} (heap buffer) carries a correct CRC */
    public static boolean crcMatches(ByteBuffer buf, int at, CRC32C crc) {
        crc.reset();
        crc.update(buf.array(), buf.arrayOffset() + at, RECORD_CRC_OFFSET);
        return (int) crc.getValue() == buf.getInt(at + RECORD_CRC_OFFSET);
    }

    /**
     * Checks a record completely: CRC, field consistency, and that its extents lie inside files of the given sizes.
     *
     * @param recordNumber the record's number in its segment (the write index cannot exceed it)
     * @param blockSize the segment's data checksum block size
     * @return true if the record can be trusted
     */
    public static boolean isValid(ByteBuffer buf, int at, long recordNumber, long metaFileSize, long dataFileSize,
            int blockSize, CRC32C crc) {
        if (!crcMatches(buf, at, crc)) {
            return false;
        }
        long metaPos = buf.getLong(at + META_POSITION_OFFSET);
        long metaLen = Integer.toUnsignedLong(buf.getInt(at + META_LENGTH_OFFSET));
        long dataPos = buf.getLong(at + DATA_POSITION_OFFSET);
        long dataLen = buf.getLong(at + DATA_LENGTH_OFFSET);
        long writeIndex = Integer.toUnsignedLong(buf.getInt(at + WRITE_INDEX_OFFSET));
        return writeIndex <= recordNumber && metaPos >= FileHeaderDescriptor.LENGTH
                && dataPos >= FileHeaderDescriptor.LENGTH && dataLen >= 0
                && metaLen >= 4 * blockCount(dataLen, blockSize)
                && metaPos <= metaFileSize - metaLen && dataPos <= dataFileSize - dataLen;
    }

    /** @return the metadata position of the record at {@code at} */
    public static long metaPosition(ByteBuffer buf, int at) {
        return buf.getLong(at + META_POSITION_OFFSET);
    }

    /** @return the metadata record length (serialized metadata plus data CRCs) */
    public static int metaLength(ByteBuffer buf, int at) {
        return buf.getInt(at + META_LENGTH_OFFSET);
    }

    /** @return the metadata record CRC */
    public static int metaCrc(ByteBuffer buf, int at) {
        return buf.getInt(at + META_CRC_OFFSET);
    }

    /** @return the data position */
    public static long dataPosition(ByteBuffer buf, int at) {
        return buf.getLong(at + DATA_POSITION_OFFSET);
    }

    /** @return the data length */
    public static long dataLength(ByteBuffer buf, int at) {
        return buf.getLong(at + DATA_LENGTH_OFFSET);
    }

    /** @return the storage timestamp */
    public static long timestamp(ByteBuffer buf, int at) {
        return buf.getLong(at + TIMESTAMP_OFFSET);
    }

    /** @return the write index */
    public static int writeIndex(ByteBuffer buf, int at) {
        return buf.getInt(at + WRITE_INDEX_OFFSET);
    }
}
