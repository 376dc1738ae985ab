package dev.diaspora.stream.redis;

import io.lettuce.core.SetArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases of (consumer name, partition): a key set with {@code SET NX PX lease_ms} holding a random token, refreshed
 * every third of {@code lease_ms} by one thread per driver while its session holds it, and deleted (if the token still
 * matches) when released. A process that dies stops refreshing, so its leases expire after {@code lease_ms}.
 *
 * <p>Thread safety: thread-safe.
 */
final class RedisLeases implements AutoCloseable {
    private final RedisBackend backend;
    private final Set<Held> held = ConcurrentHashMap.newKeySet();
    private final Thread refresher;
    private volatile boolean closed;

    /** One held lease. */
    final class Held implements AutoCloseable {
        final String key;
        final String token = UUID.randomUUID().toString();

        Held(String key) {
            this.key = key;
        }

        @Override
        public void close() {
            if (held.remove(this)) {
                backend.await(RedisScripts.RELEASE.run(backend.redis, new String[] {key}, token),
                        "Releasing the consumer lease " + key);
            }
        }
    }

    RedisLeases(RedisBackend backend, String threadName) {
        this.backend = backend;
        this.refresher = new Thread(this::refreshLoop, threadName);
        refresher.setDaemon(true);
        refresher.start();
    }

    /** @return the lease, or null if another live holder has it */
    Held tryTake(String key) {
        Held h = new Held(key);
        String ok = backend.await(backend.redis.set(key, h.token, SetArgs.Builder.nx().px(backend.config.leaseMs)),
                "Taking the consumer lease " + key);
        if (!"OK".equals(ok)) {
            return null;
        }
        held.add(h);
        return h;
    }

    private void refreshLoop() {
        long period = Math.max(100, backend.config.leaseMs / 3);
        while (!closed) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            List<CompletableFuture<Long>> answers = new ArrayList<>();
            for (Held h : held) {
                answers.add(RedisScripts.REFRESH.run(backend.redis, new String[] {h.key}, h.token,
                        Long.toString(backend.config.leaseMs)));
            }
            for (CompletableFuture<Long> a : answers) {
                try {
                    a.join();
                } catch (RuntimeException e) {
                    // the server is unreachable: the next round tries again; a lease that expired meanwhile is
                    // taken by another session, and this one's next refresh finds it lost
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        refresher.interrupt();
        try {
            refresher.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
