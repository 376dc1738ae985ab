package dev.diaspora.stream.files.storage;

import java.nio.file.Path;

/**
 * Where an event's whole data lies in its data segment file, with the CRC32C of each of its 64 KiB blocks
 * ({@link FileHeaderDescriptor#DATA_BLOCK_SIZE}; the last block may be shorter): what a server needs to send the
 * data with a zero-copy file-to-socket transfer of whole blocks, and a client to verify what it received.
 *
 * <p>Thread safety: immutable (do not modify the array).
 *
 * @param file the data segment file
 * @param position the event's first data byte in the file
 * @param length the event's data size
 * @param blockCrcs the CRC32C of each block, in order
 */
public record StoredData(Path file, long position, long length, int[] blockCrcs) {
    /** The block size of the data checksums. */
    public static final int BLOCK_SIZE = FileHeaderDescriptor.DATA_BLOCK_SIZE;
}
