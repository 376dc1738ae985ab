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
        final String token;
        private volatile boolean lost;
        private volatile boolean released;

        Held(String key, String token) {
            this.key = key;
            this.token = token;
        }

        /** @return whether a refresh found the key expired or taken by another holder */
        boolean lost() {
            return lost;
        }

        /** @return whether it was released */
        boolean released() {
            return released;
        }

        @Override
        public void close() {
            released = true;
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
        Held h = new Held(key, UUID.randomUUID().toString());
        String ok = backend.await(backend.redis.set(key, h.token, SetArgs.Builder.nx().px(backend.config.leaseMs)),
                "Taking the consumer lease " + key);
        if (!"OK".equals(ok)) {
            return null;
        }
        held.add(h);
        return h;
    }

    /**
     * @return the lease for group member {@code member} of the group set {@code groupKey}, or null if a live holder
     *     has it
     */
    Held tryTakeForMember(String key, String groupKey, String member) {
        Held h = new Held(key, member + " " + UUID.randomUUID());
        long ok = backend.await(RedisScripts.MEMBER_LEASE.run(backend.redis, new String[] {key, groupKey}, member,
                h.token, Long.toString(backend.config.leaseMs)), "Taking the consumer lease " + key);
        if (ok == 0) {
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
            List<Held> asked = new ArrayList<>(held);
            List<CompletableFuture<Long>> answers = new ArrayList<>();
            for (Held h : asked) {
                answers.add(RedisScripts.REFRESH.run(backend.redis, new String[] {h.key}, h.token,
                        Long.toString(backend.config.leaseMs)));
            }
            int failed = 0;
            RuntimeException firstFailure = null;
            String firstKey = null;
            for (int i = 0; i < answers.size(); i++) {
                try {
                    if (answers.get(i).join() == 0 && !asked.get(i).released) {
                        asked.get(i).lost = true; // expired or taken over: the session stores nothing through it
                    }
                } catch (RuntimeException e) {
                    // the server is unreachable: the next round tries again; a lease that expired meanwhile is
                    // taken by another session, and this one's next refresh finds it lost
                    if (failed++ == 0) {
                        firstFailure = e;
                        firstKey = asked.get(i).key;
                    }
                }
            }
            if (failed > 0) { // one report per round, not one per lease
                backend.errors.onError("redis: cannot refresh " + failed + " of " + asked.size() + " consumer"
                        + " leases yet (" + firstKey + " first), will retry", firstFailure);
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
