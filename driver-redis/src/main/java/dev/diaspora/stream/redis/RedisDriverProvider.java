package dev.diaspora.stream.redis;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.spi.AbstractDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.spi.OptionSchema;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.Retention;

/**
 * The {@code redis} driver: each partition of a topic is a Redis Stream (metadata and timestamps) beside a hash (the
 * data), EventIDs are assigned by a server-side script atomically with the append, and consumer positions and leases
 * are Redis keys. See this module's README for the key layout and the options.
 *
 * <p>Capabilities: shared between processes, persistent as far as the server is, time lookup, topic deletion, events
 * up to 64 MiB, consumer groups (members and leases in Redis, a stalled member's leases taken over), retention
 * ({@code retention.ms}, {@code retention.bytes}: events dropped from the front of a partition by a script). Not
 * (yet): native partial reads (a selection fetches whole chunks).
 *
 * <p>Thread safety: thread-safe.
 */
public final class RedisDriverProvider extends AbstractDriverProvider {
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, false, true, true,
            RedisConfig.MAX_EVENT_SIZE, true, true, true);

    /** Creates the provider; {@code ServiceLoader} calls this. */
    public RedisDriverProvider() {
        super("redis", "Topics as Redis Streams on a Redis server (redis:// or rediss:// URI, ACL user and token).",
                RedisConfig.SCHEMA, OptionSchema.topicOptions(Retention.specs(false)), CAPABILITIES);
    }

    @Override
    public Backend open(Options options) {
        return open(options, BackgroundErrorHandler.logging());
    }

    @Override
    public Backend open(Options options, BackgroundErrorHandler onBackgroundError) {
        return new RedisBackend(new RedisConfig(options), onBackgroundError);
    }
}
