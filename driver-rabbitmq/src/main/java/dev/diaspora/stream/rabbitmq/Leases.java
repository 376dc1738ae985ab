package dev.diaspora.stream.rabbitmq;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases of (consumer name, partition stream), held in this JVM. RabbitMQ 3.10's stream protocol offers no exclusive
 * resource to hold across processes (single active consumer arrived in 3.11), so live consumers of one name are kept
 * on disjoint partitions within a process only; see the README.
 *
 * <p>Thread safety: thread-safe.
 */
final class Leases {
    private static final ConcurrentHashMap<String, Object> HELD = new ConcurrentHashMap<>();

    private Leases() {
    }

    /** @return the lease, or null if another session of this JVM holds it */
    static AutoCloseable tryLease(String server, String stream, String name) {
        String key = server + "\u0000" + stream + "\u0000" + name;
        Object token = new Object();
        if (HELD.putIfAbsent(key, token) != null) {
            return null;
        }
        return () -> HELD.remove(key, token);
    }
}
