package dev.diaspora.stream.examples.rabbitmq;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.examples.ExampleArgs;
import dev.diaspora.stream.examples.RoundTrip;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The same producer and consumer as the quick start, against RabbitMQ streams: only the driver name and options
 * change.
 *
 * <p>Usage: {@code RabbitExample --uri rabbitmq-stream://user@host:port/vhost [--password-env VAR] [--topic name]
 * [--events n]}. The vhost is URL-encoded ({@code %2f} for {@code /}, the default when the path is empty). The
 * password comes from the environment variable named by {@code --password-env} (never from the command line, where
 * other users of the machine could read it); without it the driver's default applies. The topic is created (with 3
 * partitions) if it does not exist; the consumer reads what this run produced, from the run's start time.
 */
public final class RabbitExample {
    private static final String USAGE = "usage: RabbitExample --uri rabbitmq-stream://user@host:port/vhost"
            + " [--password-env VAR] [--topic name] [--events n]";

    private RabbitExample() {
    }

    /** @return the driver options for a {@code rabbitmq-stream://} URI */
    static Metadata options(String uri, String passwordEnv) {
        URI u = URI.create(uri);
        if (!"rabbitmq-stream".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("not a rabbitmq-stream://user@host:port/vhost URI: " + uri);
        }
        if (u.getUserInfo() != null && u.getUserInfo().contains(":")) {
            throw new IllegalArgumentException("give the password with --password-env VAR, not in the URI");
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("host", u.getHost());
        o.put("port", u.getPort() > 0 ? u.getPort() : 5552);
        if (u.getUserInfo() != null) {
            o.put("username", u.getUserInfo());
        }
        String path = u.getRawPath();
        if (path != null && path.length() > 1) {
            o.put("virtual_host", URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8));
        }
        if (passwordEnv != null) {
            o.put("password_env", passwordEnv);
        }
        return Metadata.of(o);
    }

    public static void main(String[] args) {
        String[] uri = {null};
        String[] passwordEnv = {null};
        ExampleArgs a = new ExampleArgs(USAGE, 10).flag("--uri", v -> uri[0] = v)
                .flag("--password-env", v -> passwordEnv[0] = v).parse(args);
        try (Driver driver = Driver.open("rabbitmq", options(a.require(uri[0], "--uri"), passwordEnv[0]))) {
            RoundTrip.run(driver, a.topic(), a.events(), uri[0]);
        }
    }
}
