package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.tck.ExternalServers;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The RabbitMQ server the tests use: 127.0.0.1, stream port 5552, guest/guest (see the README). */
final class RabbitServer {
    static final String HOST = "127.0.0.1";
    static final int STREAM_PORT = 5552;

    private RabbitServer() {
    }

    /** Skips (or, under -Ddiaspora.requireServers=true, fails) unless the stream plugin answers. */
    static void assumeStreamPlugin() {
        ExternalServers.assumeReachable("RabbitMQ", HOST, 5672,
                "start a RabbitMQ server (guest/guest) on 127.0.0.1");
        ExternalServers.assumeReachable("RabbitMQ stream plugin", HOST, STREAM_PORT,
                "stream plugin not enabled: rabbitmq-plugins enable rabbitmq_stream");
    }

    /**
     * Deletes every topic whose name starts with {@code prefix} (the test's own), leading underscores aside (the
     * TCK also creates {@code _tck-...} topics).
     */
    static void deleteTopics(String prefix) {
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(options()))) {
            for (String name : driver.listTopics().keySet()) {
                if (name.replaceFirst("^_+", "").startsWith(prefix)) {
                    try {
                        driver.deleteTopic(name);
                    } catch (TopicNotFoundException e) {
                        // deleted meanwhile
                    }
                }
            }
        }
    }

    static String options() {
        return "{\"host\":\"" + HOST + "\",\"port\":" + STREAM_PORT + "}";
    }

    /** @return the driver configuration of {@link #options()}, validated as the driver validates it */
    static RabbitConfig config() {
        return RabbitConfig.from(new RabbitDriverProvider().options().validate(Metadata.of(options()), "driver"));
    }

    /** Creates topic {@code name} with one partition through {@code backend}. */
    static void createOnePartitionTopic(RabbitBackend backend, String name) {
        backend.createTopic(name, new RabbitDriverProvider().topicOptions().validate(
                Metadata.of("{\"num_partitions\":1}"), "topic"), Metadata.of("{}"));
    }

    /**
     * The topics of one test class ({@code @RegisterExtension static final}): the class is skipped (or fails under
     * -Ddiaspora.requireServers=true) without the stream plugin, and every topic whose name starts with
     * {@link #prefix} is deleted after it.
     */
    static final class Topics implements BeforeAllCallback, AfterAllCallback {
        /** The start of the names of the class's topics: its kind and the run. */
        final String prefix;

        Topics(String kind) {
            this.prefix = kind + "-" + Long.toHexString(System.nanoTime()) + "-";
        }

        @Override
        public void beforeAll(ExtensionContext context) {
            assumeStreamPlugin();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            deleteTopics(prefix);
        }
    }
}
