package dev.diaspora.stream.files.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The binary records of FORMAT.md: seeded property tests (the seed is printed; replay with -Dfiles.seed=...). */
@Timeout(60)
class CodecTest {
    private static final long SEED = Long.getLong("files.seed", System.nanoTime());

    static {
        System.out.println("CodecTest seed " + SEED + " (replay with -Dfiles.seed=" + SEED + ")");
    }

    @Test
    void headerShouldRoundTripAndMatchTheDocumentedBytes() {
        ByteBuffer h = FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_INDEX, 1234, 7);
        assertEquals(64, h.remaining());
        assertEquals("DIASPORA", new String(h.array(), 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(2, h.order(ByteOrder.LITTLE_ENDIAN).getInt(8), "version at 8, little-endian");
        assertEquals(3, h.getInt(12), "kind at 12");
        assertEquals(1234, h.getLong(16), "base at 16");
        assertEquals(4096, h.getInt(24), "block size at 24 (format 2)");
        assertEquals(7, h.getInt(28), "partition at 28");
        for (int i = 32; i < 60; i++) {
            assertEquals(0, h.get(i), "reserved byte " + i);
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 60);
        assertEquals((int) crc.getValue(), h.getInt(60), "CRC32C of [0,60) at 60");
        assertNull(FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_INDEX, 1234, 7));
        assertNotNull(FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_DATA, 1234, 7), "wrong kind");
        assertNotNull(FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_INDEX, 1235, 7), "wrong base");
        assertNotNull(FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_INDEX, 1234, 8), "wrong partition");
    }

    @Test
    void everySingleBitFlipInAHeaderShouldBeDetected() {
        ByteBuffer h = FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_META, 42, 0);
        for (int bit = 0; bit < 64 * 8; bit++) {
            ByteBuffer c = ByteBuffer.wrap(h.array().clone());
            c.put(bit / 8, (byte) (c.get(bit / 8) ^ (1 << (bit % 8))));
            assertNotNull(FileHeaderDescriptor.check(c, FileHeaderDescriptor.KIND_META, 42, 0), "flip of bit " + bit);
        }
    }

    @Test
    void aNewerFormatVersionShouldBeReportedAsSuch() {
        ByteBuffer h = FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_DATA, 0, 0).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(8, 3);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 60);
        h.putInt(60, (int) crc.getValue());
        String problem = FileHeaderDescriptor.check(h, FileHeaderDescriptor.KIND_DATA, 0, 0);
        assertTrue(problem != null && problem.contains("newer") && problem.endsWith(FileHeaderDescriptor.UPGRADE),
                problem);
    }

    @Test
    void eachVersionShouldDeclareItsOwnBlockSize() {
        ByteBuffer v1 = FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_DATA, 5, 1, 1);
        assertNull(FileHeaderDescriptor.check(v1, FileHeaderDescriptor.KIND_DATA, 5, 1), "a version 1 header reads");
        assertEquals(65536, FileHeaderDescriptor.declaredBlockSize(v1));
        assertEquals(4096, FileHeaderDescriptor.declaredBlockSize(
                FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_DATA, 5, 1)));
        // the files version 2 did not change stay in version 1, so that the previous release still reads them
        assertEquals(1, FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_POSITIONS, 0, -1)
                .order(ByteOrder.LITTLE_ENDIAN).getInt(8));
        ByteBuffer mixed = FileHeaderDescriptor.encode(FileHeaderDescriptor.KIND_DATA, 5, 1, 1)
                .order(ByteOrder.LITTLE_ENDIAN);
        mixed.putInt(24, 4096); // version 1 with version 2's block size
        CRC32C crc = new CRC32C();
        crc.update(mixed.array(), 0, 60);
        mixed.putInt(60, (int) crc.getValue());
        String problem = FileHeaderDescriptor.check(mixed, FileHeaderDescriptor.KIND_DATA, 5, 1);
        assertTrue(problem != null && problem.contains("format 1 uses 65536"), problem);
    }

    @Test
    void indexRecordsShouldRoundTripAndDetectEveryBitFlip() {
        SplittableRandom r = new SplittableRandom(SEED);
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(IndexDescriptor.RECORD_SIZE * 3).order(ByteOrder.LITTLE_ENDIAN);
        for (int round = 0; round < 2000; round++) {
            int at = IndexDescriptor.RECORD_SIZE * r.nextInt(3);
            long metaPos = 64 + r.nextLong(1L << 40);
            long dataLen = r.nextInt(4) == 0 ? 0 : r.nextLong(1L << 33);
            int bs = r.nextBoolean() ? 4096 : 65536;
            int metaLen = (int) (4 * IndexDescriptor.blockCount(dataLen, bs)) + r.nextInt(100_000);
            int metaCrc = r.nextInt();
            long dataPos = 64 + r.nextLong(1L << 40);
            long ts = r.nextLong();
            int writeIndex = r.nextInt(1000);
            IndexDescriptor.encode(b, at, metaPos, metaLen, metaCrc, dataPos, dataLen, ts, writeIndex, crc);
            assertEquals(metaPos, IndexDescriptor.metaPosition(b, at));
            assertEquals(metaLen, IndexDescriptor.metaLength(b, at));
            assertEquals(metaCrc, IndexDescriptor.metaCrc(b, at));
            assertEquals(dataPos, IndexDescriptor.dataPosition(b, at));
            assertEquals(dataLen, IndexDescriptor.dataLength(b, at));
            assertEquals(ts, IndexDescriptor.timestamp(b, at));
            assertEquals(writeIndex, IndexDescriptor.writeIndex(b, at));
            assertTrue(IndexDescriptor.crcMatches(b, at, crc));
            long metaSize = metaPos + metaLen;
            long dataSize = dataPos + dataLen;
            assertTrue(IndexDescriptor.isValid(b, at, writeIndex, metaSize, dataSize, bs, crc), "record " + round);
            assertFalse(IndexDescriptor.isValid(b, at, writeIndex, metaSize - 1, dataSize, bs, crc), "meta cut");
            assertFalse(IndexDescriptor.isValid(b, at, writeIndex, metaSize, dataSize - 1, bs, crc) && dataLen > 0,
                    "data cut");
            assertFalse(IndexDescriptor.isValid(b, at, writeIndex - 1L, metaSize, dataSize, bs, crc) && writeIndex > 0,
                    "a write index beyond the record number");
            int bit = r.nextInt(IndexDescriptor.RECORD_SIZE * 8);
            b.put(at + bit / 8, (byte) (b.get(at + bit / 8) ^ (1 << (bit % 8))));
            assertFalse(IndexDescriptor.crcMatches(b, at, crc), "flip of bit " + bit + " (seed " + SEED + ")");
        }
    }

    @Test
    void blockCountsShouldFollowTheBlockSize() {
        assertEquals(0, IndexDescriptor.blockCount(0, 65_536));
        assertEquals(1, IndexDescriptor.blockCount(1, 65_536));
        assertEquals(1, IndexDescriptor.blockCount(65_536, 65_536));
        assertEquals(2, IndexDescriptor.blockCount(65_537, 65_536));
        assertEquals(32_768, IndexDescriptor.blockCount(1L << 31, 65_536));
        assertEquals(0, IndexDescriptor.blockCount(0, 4096));
        assertEquals(1, IndexDescriptor.blockCount(4096, 4096));
        assertEquals(16, IndexDescriptor.blockCount(65_536, 4096));
        assertEquals(17, IndexDescriptor.blockCount(65_537, 4096));
        assertEquals(64, IndexDescriptor.recordOffset(0));
        assertEquals(64 + 48 * 10, IndexDescriptor.recordOffset(10));
        assertEquals(0, IndexDescriptor.recordCount(63));
        assertEquals(1, IndexDescriptor.recordCount(64 + 48 + 47));
    }
}
