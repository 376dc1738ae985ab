package dev.diaspora.stream.spi;

/**
 * What a driver can do, declared by its provider; the TCK skips (with the reason) the contracts a driver lacks.
 *
 * <p>Thread safety: immutable.
 *
 * @param crossProcess other processes see the same topics (files, kafka, netty; not memory)
 * @param persistent topics and positions survive closing and reopening the driver with the same options
 * @param nativePartialRead a sub-view reads only the selected bytes from storage (files, netty; not kafka)
 * @param timeLookup {@code startAt(time)} is supported
 * @param deleteTopic topics can be deleted
 * @param maxEventSize the largest event (metadata plus data) the driver stores, in bytes
 */
public record Capabilities(boolean crossProcess, boolean persistent, boolean nativePartialRead, boolean timeLookup,
        boolean deleteTopic, long maxEventSize) {
}
