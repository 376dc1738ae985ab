package dev.diaspora.stream.rabbitmq;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.tck.ExternalServers;

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
}
