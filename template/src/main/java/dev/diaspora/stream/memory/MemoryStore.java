package dev.diaspora.stream.memory;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The topics of one store: a driver's own, or a JVM-wide named one.
 *
 * <p>Thread safety: thread-safe.
 */
final class MemoryStore {
    final ConcurrentHashMap<String, MemoryTopicState> topics = new ConcurrentHashMap<>();
}
