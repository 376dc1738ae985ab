package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.CorruptDataException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The checks every read of a partition's records makes before trusting them (FORMAT.md): an index record is whole
 * and matches its CRC; a metadata record lies within what was read of the metadata file and matches the CRC its
 * index record holds. Each check returns null when the record can be trusted, otherwise the problem, phrased for a
 * {@link CorruptDataException} message ({@link PartitionLog#corrupt}).
 *
 * <p>Ownership: one verifier per read call; it owns the {@link CRC32C} it reuses, which it also lends to the segment
 * lookups of the same call ({@link #crc()}). Thread safety: confined to one thread.
 */
final class RecordVerifier {
    private final CRC32C crc = new CRC32C();

    /** @return the checksum this verifier reuses, for the segment lookups of the same read (reset before each use) */
    CRC32C crc() {
        return crc;
    }

    /**
     * @param recs index records as read from segment {@code s}
     * @param at the byte offset of the record in {@code recs}
     * @param recordNumber the record's number in its segment (names its offset in the index file)
     * @return null if the index record is whole and matches its CRC, else the problem
     */
    String indexProblem(ByteBuffer recs, int at, Segment s, long recordNumber) {
        if (recs.limit() - at >= IndexDescriptor.RECORD_SIZE && IndexDescriptor.crcMatches(recs, at, crc)) {
            return null;
        }
        return "its index record fails its checksum (" + s.path(Segment.INDEX) + " offset "
                + IndexDescriptor.recordOffset(recordNumber) + ")";
    }

    /**
     * @param recs the (verified) index record's buffer and {@code at} its offset there
     * @param meta metadata bytes read from segment {@code s}'s metadata file, the record's starting at {@code off}
     * @param got how many bytes of {@code meta} the read filled
     * @param filePosition where the metadata record starts in the metadata file
     * @return null if the metadata record lies within the bytes read and matches its CRC, else the problem
     */
    String metadataProblem(ByteBuffer recs, int at, byte[] meta, int off, int got, Segment s, long filePosition) {
        int mlen = IndexDescriptor.metaLength(recs, at);
        if (off + (long) mlen > got) {
            return "its metadata record lies past the end of " + s.path(Segment.META) + " (file cut)";
        }
        crc.reset();
        crc.update(meta, off, mlen);
        if ((int) crc.getValue() != IndexDescriptor.metaCrc(recs, at)) {
            return "its metadata record fails its checksum (" + s.path(Segment.META) + " offset " + filePosition + ")";
        }
        return null;
    }
}
