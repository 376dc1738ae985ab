package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The retention topic options reach the broker's topic configuration, at creation and through alterTopic (issue 13),
 * against a real embedded broker.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaRetentionConfigTest {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();

    private Config brokerConfig(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", BROKER.kafka().bootstrapServers()))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
        }
    }

    @Test
    void retentionOptionsBecomeTheTopicsKafkaConfigs() throws Exception {
        try (Driver d = Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\""
                + BROKER.kafka().bootstrapServers() + "\"}"))) {
            d.createTopic("kret-1", Metadata.of("{\"num_partitions\":2,\"retention.ms\":3600000,"
                    + "\"retention.bytes\":1048576,\"segment.ms\":600000}"));
            Config c = brokerConfig("kret-1");
            assertEquals("3600000", c.get("retention.ms").value());
            assertEquals("1048576", c.get("retention.bytes").value());
            assertEquals("600000", c.get("segment.ms").value());
            assertEquals("LogAppendTime", c.get("message.timestamp.type").value());
            assertEquals(3600000, d.listTopics().get("kret-1").json().get("retention.ms").asLong(),
                    "listTopics reports the option as given");

            d.createTopic("kret-2");
            Config plain = brokerConfig("kret-2");
            assertTrue(plain.get("retention.ms").isDefault(), "without the option the broker's default stays: "
                    + plain.get("retention.ms"));
        }
    }

    /** storedBytes is the size of the partition's log on its leader (describeLogDirs), 0 while empty. */
    @Test
    void storedBytesIsTheLeadersLogSize() throws Exception {
        try (Driver d = Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\""
                + BROKER.kafka().bootstrapServers() + "\"}"))) {
            d.createTopic("kret-size", Metadata.of("{\"num_partitions\":2}"));
            try (TopicHandle t = d.openTopic("kret-size")) {
                assertEquals(0, t.storedBytes(0).orElseThrow(), "an empty partition's log");
                try (Producer p = t.producer()) {
                    for (int i = 0; i < 10; i++) {
                        p.push(Metadata.of("{}"), DataView.of(new byte[1000]), 0).get(30, TimeUnit.SECONDS);
                    }
                }
                long bytes = t.storedBytes(0).orElseThrow();
                assertTrue(bytes >= 10_000 && bytes < 100_000, "10 records of 1000 bytes and their framing: " + bytes);
                assertEquals(0, t.storedBytes(1).orElseThrow(), "the other partition is still empty");
            }
            d.deleteTopic("kret-size");
        }
    }

    @Test
    void alterTopicChangesTheBrokersConfigsAndRefusesTheOthers() throws Exception {
        try (Driver d = Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\""
                + BROKER.kafka().bootstrapServers() + "\"}"))) {
            d.createTopic("kret-3", Metadata.of("{\"retention.ms\":3600000}"));
            d.alterTopic("kret-3", Metadata.of("{\"retention.ms\":7200000,\"retention.bytes\":2097152}"));
            Config c = brokerConfig("kret-3");
            assertEquals("7200000", c.get("retention.ms").value());
            assertEquals("2097152", c.get("retention.bytes").value());
            assertEquals(7200000, d.listTopics().get("kret-3").json().get("retention.ms").asLong());
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> d.alterTopic("kret-3", Metadata.of("{\"framing\":\"header\"}")));
            assertTrue(e.getMessage().contains("framing") && e.getMessage().contains("retention.ms"), e.getMessage());
            assertEquals("7200000", brokerConfig("kret-3").get("retention.ms").value(), "nothing changed");
        }
    }
}
