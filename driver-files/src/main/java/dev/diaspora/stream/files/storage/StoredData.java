package dev.diaspora.stream.files.storage;

import java.nio.file.Path;

/**
 * Where an event's whole data lies in its data segment file, with the CRC32C of each of its data checksum blocks
 * (the block size of the event's segment: 4 KiB in format version 2, 64 KiB in version 1; the last block may be
 * shorter): what a server needs to send the data with a zero-copy file-to-socket transfer of whole blocks, and a
 * client to verify what it received.
 *
 * <p>Thread safety: immutable (do not modify the array).
 *
 * @param file the data segment file
 * @param position the event's first data byte in the file
 * @param length the event's data size
 * @param blockSize the bytes one CRC32C covers (its segment's data checksum block)
 * @param blockCrcs the CRC32C of each block, in order
 */
public record StoredData(Path file, long position, long length, int blockSize, int[] blockCrcs) {
}
