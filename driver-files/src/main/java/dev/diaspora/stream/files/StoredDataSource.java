package dev.diaspora.stream.files;

import dev.diaspora.stream.files.storage.StoredData;

/**
 * Implemented by the files driver's topics: where an event's data lies in its data file, with its block checksums,
 * for a server that sends the bytes with a zero-copy file-to-socket transfer and lets its client verify them (the
 * netty partition server). Cast a {@code TopicBackend} of the files driver to it.
 *
 * <p>Thread safety: thread-safe.
 */
public interface StoredDataSource {
    /**
     * @param partition the partition
     * @param id the event
     * @param dataSize the data size the caller's descriptor claims (checked against the index)
     * @return where the event's data lies, its segment's checksum block size (per segment: FORMAT.md, "Versioning")
     *     and its block CRCs
     * @throws dev.diaspora.stream.DiasporaException if the event does not exist, the size differs, or its records
     *     are damaged ({@link dev.diaspora.stream.CorruptDataException})
     */
    StoredData storedData(int partition, long id, long dataSize);
}
