package dev.diaspora.stream.files.storage;

import java.nio.file.Path;

/**
 * A byte range of a data segment file: where a slice of an event's stored data lies, for servers that send it with
 * a zero-copy file-to-socket transfer.
 *
 * <p>Thread safety: immutable.
 *
 * @param file the data segment file
 * @param position the first byte in the file
 * @param length the number of bytes
 */
public record DataRange(Path file, long position, long length) {
}
