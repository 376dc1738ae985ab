package dev.diaspora.stream.redis;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns Lettuce's and the server's errors into {@link DiasporaException}s that say what failed, where (the server's
 * address, never a password) and what to do.
 *
 * <p>Thread safety: stateless.
 */
final class RedisErrors {
    private RedisErrors() {
    }

    /** @return the cause of a failed future, unwrapped */
    static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * @param e what went wrong
     * @param what the operation, for the message ("appending to partition 0 of topic 't'")
     * @param address the server, from {@link RedisConfig#address()}
     * @return the exception to throw or to fail a future with
     */
    static DiasporaException wrap(Throwable e, String what, String address) {
        e = unwrap(e);
        if (e instanceof DiasporaException d) {
            return d;
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new InterruptException(what, (InterruptedException) e);
        }
        String msg = String.valueOf(e.getMessage());
        if (msg.startsWith("WRONGTYPE")) {
            return new DiasporaException(what + " failed on the Redis server at " + address + ": a key the redis"
                    + " driver uses holds a value of another type (" + msg + "): another program writes keys under"
                    + " this driver's key_prefix; give the driver another key_prefix or remove those keys", e);
        }
        if (msg.startsWith("WRONGPASS") || msg.startsWith("NOAUTH") || msg.startsWith("NOPERM")) {
            return new DiasporaException(what + " was refused by the Redis server at " + address + " (" + msg
                    + "): check the ACL user and password or token (username, password_file, password_env or the"
                    + " uri) and the user's permissions", e);
        }
        if (msg.contains("equal or smaller than the target stream top item")) {
            return new DiasporaException(what + " failed on the Redis server at " + address + ": a partition's"
                    + " stream holds entries the redis driver did not write (another program added entries to it);"
                    + " give the driver another key_prefix or remove that stream (" + msg + ")", e);
        }
        if (e instanceof RedisCommandTimeoutException) {
            return new DiasporaException(what + " timed out waiting for the Redis server at " + address + " ("
                    + msg + "): the server is down, unreachable or overloaded. It may or may not have been carried"
                    + " out; raise command_timeout_ms or check the server", e);
        }
        if (e instanceof RedisConnectionException) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String rootMsg = String.valueOf(root.getMessage());
            if (rootMsg.startsWith("WRONGPASS") || rootMsg.startsWith("NOAUTH")) {
                return new DiasporaException(what + ": the Redis server at " + address + " refused the credentials ("
                        + rootMsg + "); check the ACL user and password or token (username, password_file,"
                        + " password_env or the uri)", e);
            }
            if (rootMsg.contains("HandshakeHandler not registered")) {
                // Lettuce's words when the handshake failed and closed the channel before the connection was
                // reported (seen with a refused password on a loaded machine): the refusal itself is lost
                return new DiasporaException(what + ": the Redis server at " + address + " ended the connection"
                        + " during its handshake (authentication or TLS); check the ACL user and password or token"
                        + " (username, password_file, password_env or the uri) and the TLS options", e);
            }
            return new DiasporaException(what + ": cannot connect to the Redis server at " + address + " ("
                    + root.getClass().getSimpleName() + ": " + rootMsg + "); check that it runs and is reachable,"
                    + " and the uri option (connect_timeout_ms bounds the wait)", e);
        }
        return new DiasporaException(what + " failed on the Redis server at " + address + " ("
                + e.getClass().getSimpleName() + ": " + msg + ")", e);
    }
}
