package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code framing} option: both framings round-trip (whole and partial data, empty data, split segments), the
 * framing is stored with the topic so that a driver opened with the other default reads what was written, the records
 * really are laid out as documented, and bad values are rejected naming the option.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaFramingTest {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();
    private static int counter;

    private static Driver open(String framing) {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\""
                + (framing == null ? "" : ",\"framing\":\"" + framing + "\"") + "}"));
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    /** Events of several shapes; the data of event i is bytes(size(i), i). */
    private static final int[] SIZES = {0, 1, 40, 1024, 70_000};

    private static void write(TopicHandle topic) throws Exception {
        try (Producer p = topic.producer()) {
            for (int i = 0; i < SIZES.length; i++) {
                byte[] d = bytes(SIZES[i], i);
                // odd events: two segments of a larger buffer (not one whole array: the header framing copies them)
                DataView view = i % 2 == 0 || d.length < 2 ? DataView.of(d) : DataView.of(
                        ByteBuffer.wrap(d, 0, d.length / 2), ByteBuffer.wrap(d, d.length / 2, d.length - d.length / 2));
                p.push(Metadata.of("{\"i\":" + i + "}"), view);
            }
            p.flush().get(30, TimeUnit.SECONDS);
        }
    }

    private static void readBack(TopicHandle topic, String name, boolean partial) throws Exception {
        ConsumerOptions o = ConsumerOptions.named(name).targets(0);
        if (partial) {
            // bytes [1, 31), clamped to the end for short events; events of 0 or 1 byte whole
            o = o.dataSelector((m, d) -> d.size() > 1 ? d.makeSubView(1, 30) : d);
        }
        try (Consumer c = topic.consumer(o)) {
            for (int i = 0; i < SIZES.length; i++) {
                Optional<Event> e = c.poll(Duration.ofSeconds(20));
                assertTrue(e.isPresent(), "event " + i);
                assertEquals(i, e.get().id());
                assertEquals("{\"i\":" + i + "}", e.get().metadata().toString());
                byte[] all = bytes(SIZES[i], i);
                byte[] want = all;
                if (partial && all.length > 1) {
                    want = java.util.Arrays.copyOfRange(all, 1, Math.min(all.length, 31));
                }
                assertArrayEquals(want, e.get().data().toByteArray(), "event " + i + " partial=" + partial);
            }
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> rawRecords(String topic, int n) {
        Properties props = new Properties();
        props.put("bootstrap.servers", BROKER.kafka().bootstrapServers());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (out.size() < n && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void headerFramingRoundTripsAndIsReadByADriverWhoseDefaultIsInline() throws Exception {
        String name = "framing-" + ++counter;
        try (Driver writer = open("inline")) {
            writer.createTopic(name, Metadata.of("{\"framing\":\"header\"}"));
            write(writer.openTopic(name));
            assertEquals("header", writer.listTopics().get(name).json().get("framing").asText());
        }
        try (Driver reader = open(null)) {
            TopicHandle topic = reader.openTopic(name);
            readBack(topic, "whole", false);
            readBack(topic, "part", true);
        }
        List<ConsumerRecord<byte[], byte[]>> records = rawRecords(name, SIZES.length);
        assertEquals(SIZES.length, records.size());
        for (int i = 0; i < SIZES.length; i++) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            assertArrayEquals(bytes(SIZES[i], i), r.value(), "the value is the data");
            assertArrayEquals(("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8),
                    r.headers().lastHeader(RecordFraming.METADATA_HEADER).value());
        }
    }

    @Test
    void driverOptionSetsTheFramingOfCreatedTopicsAndReadersFollowTheTopic() throws Exception {
        String name = "framing-" + ++counter;
        String inlineName = "framing-" + ++counter;
        try (Driver writer = open("header")) {
            writer.createTopic(name);
            writer.createTopic(inlineName, Metadata.of("{\"framing\":\"inline\"}")); // the topic option wins
            write(writer.openTopic(name));
            write(writer.openTopic(inlineName));
        }
        try (Driver reader = open("inline")) {
            readBack(reader.openTopic(name), "r", true);
        }
        try (Driver reader = open("header")) {
            readBack(reader.openTopic(inlineName), "r", true);
        }
        ConsumerRecord<byte[], byte[]> h = rawRecords(name, 1).get(0);
        assertNotNull(h.headers().lastHeader(RecordFraming.METADATA_HEADER));
        ConsumerRecord<byte[], byte[]> in = rawRecords(inlineName, 1).get(0);
        assertNull(in.headers().lastHeader(RecordFraming.METADATA_HEADER));
        assertEquals(9 + 4 + "{\"i\":0}".length(), in.value().length,
                "inline: [0xD1][8-byte mark][u32 length][metadata][no data]");
        assertEquals(0, in.headers().toArray().length, "inline: no header");
    }

    @Test
    void foreignRecordWithoutTheHeaderIsReadAsEmptyMetadataAndWholeValue() throws Exception {
        String name = "framing-" + ++counter;
        try (Driver driver = open(null)) {
            driver.createTopic(name, Metadata.of("{\"framing\":\"header\"}"));
            Properties props = new Properties();
            props.put("bootstrap.servers", BROKER.kafka().bootstrapServers());
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(name, 0, null, "abc".getBytes(StandardCharsets.UTF_8))).get(30,
                        TimeUnit.SECONDS);
            }
            try (Consumer c = driver.openTopic(name).consumer(ConsumerOptions.named("f").targets(0))) {
                Event e = c.poll(Duration.ofSeconds(20)).orElseThrow();
                assertEquals("{}", e.metadata().toString());
                assertArrayEquals("abc".getBytes(StandardCharsets.UTF_8), e.data().toByteArray());
            }
        }
    }

    @Test
    void unknownFramingValuesAreRejectedNamingTheOption() {
        InvalidOptionException d = assertThrows(InvalidOptionException.class, () -> open("xml").close());
        assertTrue(d.getMessage().contains("'framing'") && d.getMessage().contains("xml"), d.getMessage());
        try (Driver driver = open(null)) {
            InvalidOptionException t = assertThrows(InvalidOptionException.class,
                    () -> driver.createTopic("bad-framing", Metadata.of("{\"framing\":\"headers\"}")));
            assertTrue(t.getMessage().contains("'framing'") && t.getMessage().contains("headers"), t.getMessage());
            assertTrue(!driver.topicExists("bad-framing"));
        }
    }

    @Test
    void framingNamesParseAndRejectUnknownOnes() {
        assertEquals(RecordFraming.HEADER, RecordFraming.of("header", "x"));
        assertEquals(RecordFraming.INLINE, RecordFraming.of("inline", "x"));
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> RecordFraming.of("json", "stored for topic 't'"));
        assertTrue(e.getMessage().contains("'framing'") && e.getMessage().contains("json"), e.getMessage());
    }
}
