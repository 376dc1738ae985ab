package dev.diaspora.stream.examples.redis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.examples.ExampleArgs;
import dev.diaspora.stream.examples.RoundTrip;

/**
 * The same producer and consumer as the quick start, against a Redis server: only the driver name and options change.
 *
 * <p>Usage: {@code RedisExample --uri redis://host:port [--user name] [--password-env VAR] [--key-prefix p]
 * [--topic name] [--events n]}. With {@code --password-env} the password or token is read from that environment
 * variable (never from the command line, where other users of the machine could see it). The topic is created (with 3
 * partitions) if it does not exist; the consumer reads what this run produced, from the run's start time.
 */
public final class RedisExample {
    private static final String USAGE = "usage: RedisExample --uri redis://host:port [--user name]"
            + " [--password-env VAR] [--key-prefix p] [--topic name] [--events n]";

    private RedisExample() {
    }

    public static void main(String[] args) {
        ObjectNode options = JsonNodeFactory.instance.objectNode();
        ExampleArgs a = new ExampleArgs(USAGE, 10)
                .flag("--uri", v -> options.put("uri", v))
                .flag("--user", v -> options.put("username", v))
                .flag("--password-env", v -> options.put("password_env", v))
                .flag("--key-prefix", v -> options.put("key_prefix", v))
                .parse(args);
        a.require(options.get("uri"), "--uri");
        try (Driver driver = Driver.open("redis", Metadata.of(options))) {
            RoundTrip.run(driver, a.topic(), a.events(), "Redis " + options.get("uri").asText());
        }
    }
}
