package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The incarnation mark of each record ({@link IncarnationMark}) on a broker: the driver writes it into the value of an
 * {@code inline} record (no header) and as header {@code di} of a {@code header} record; readers skip records that
 * name another incarnation in any form, including records written the old ways by a raw producer (header {@code di},
 * 8 bytes; header {@code diaspora.topic_id}, the 16-byte topic id), which stay readable when they name this one.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaIncarnationMarkTest {
    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension();

    private static Driver open() {
        return Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers()
                + "\"}"));
    }

    private static Properties props() {
        Properties p = new Properties();
        p.put("bootstrap.servers", BROKER.kafka().bootstrapServers());
        return p;
    }

    private static Uuid topicId(String topic) throws Exception {
        try (Admin admin = Admin.create(props())) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).topicId();
        }
    }

    /** @return the {@code inline} framed value of metadata {@code {"i":i}} and no data */
    private static byte[] inline(int i) {
        byte[] md = ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + md.length).putInt(md.length).put(md).array();
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, int i, Header... headers) {
        return new ProducerRecord<byte[], byte[]>(topic, 0, (byte[]) null, inline(i), List.<Header>of(headers));
    }

    /** @return a record in the marked {@code inline} form, {@code [0xD1][mark][u32 length][{"i":i}]}, no header */
    private static ProducerRecord<byte[], byte[]> marked(String topic, int i, IncarnationMark mark) {
        byte[] unmarked = inline(i);
        byte[] v = ByteBuffer.allocate(9 + unmarked.length).put((byte) 0xD1).put(mark.fingerprint()).put(unmarked)
                .array();
        return new ProducerRecord<byte[], byte[]>(topic, 0, (byte[]) null, v);
    }

    private static List<ConsumerRecord<byte[], byte[]>> rawRead(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(got::add);
            }
            return got;
        }
    }

    @Test
    void pushedInlineRecordsCarryTheMarkInTheValueAndNoHeader() throws Exception {
        try (Driver driver = open()) {
            driver.createTopic("mark-inline");
            try (Producer p = driver.openTopic("mark-inline").producer()) {
                p.push(Metadata.of("{\"i\":0}"), DataView.of(new byte[] {1, 2, 3})).get(30, TimeUnit.SECONDS);
            }
            IncarnationMark mark = IncarnationMark.of(topicId("mark-inline"));
            List<ConsumerRecord<byte[], byte[]>> got = rawRead("mark-inline");
            assertEquals(1, got.size());
            assertEquals(0, got.get(0).headers().toArray().length, "no header");
            byte[] md = "{\"i\":0}".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(ByteBuffer.allocate(9 + 4 + md.length + 3).put((byte) 0xD1).put(mark.fingerprint())
                    .putInt(md.length).put(md).put(new byte[] {1, 2, 3}).array(), got.get(0).value(),
                    "[0xD1][mark][u32 length][metadata][data]");
        }
    }

    @Test
    void pushedHeaderRecordsCarryTheShortHeader() throws Exception {
        try (Driver driver = open()) {
            driver.createTopic("mark-header", Metadata.of("{\"framing\":\"header\"}"));
            try (Producer p = driver.openTopic("mark-header").producer()) {
                p.push(Metadata.of("{\"i\":0}"), DataView.of(new byte[] {1, 2, 3})).get(30, TimeUnit.SECONDS);
            }
            IncarnationMark mark = IncarnationMark.of(topicId("mark-header"));
            List<ConsumerRecord<byte[], byte[]>> got = rawRead("mark-header");
            assertEquals(1, got.size());
            assertArrayEquals(new byte[] {1, 2, 3}, got.get(0).value(), "the value is the data");
            Header h = got.get(0).headers().lastHeader(IncarnationMark.KEY);
            assertArrayEquals(mark.fingerprint(), h.value());
            assertEquals(2, got.get(0).headers().toArray().length, "di and md");
            assertNull(got.get(0).headers().lastHeader(IncarnationMark.LEGACY_KEY));
        }
    }

    @Test
    void recordsOfAnotherIncarnationAreSkippedInEveryFormAndOldRecordsOfThisOneAreRead() throws Exception {
        try (Driver driver = open()) {
            driver.createTopic("mark-mixed");
            IncarnationMark here = IncarnationMark.of(topicId("mark-mixed"));
            IncarnationMark other = IncarnationMark.of(Uuid.randomUuid());
            assertFalse(java.util.Arrays.equals(here.fingerprint(), other.fingerprint()));
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(props(), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                String t = "mark-mixed";
                raw.send(record(t, 0, new RecordHeader(IncarnationMark.LEGACY_KEY, here.legacyValue()))); // old way
                raw.send(record(t, 1, new RecordHeader(IncarnationMark.LEGACY_KEY, other.legacyValue()))); // skipped
                raw.send(record(t, 2, new RecordHeader(IncarnationMark.KEY, other.fingerprint()))); // skipped
                raw.send(record(t, 3)); // another client's record: read
                raw.send(record(t, 4, new RecordHeader(IncarnationMark.KEY, here.fingerprint()))); // as pushed
                raw.send(record(t, 5, new RecordHeader(IncarnationMark.KEY, other.fingerprint()),
                        new RecordHeader(IncarnationMark.LEGACY_KEY, here.legacyValue()))); // the short key decides
                raw.send(marked(t, 6, here)); // as pushed now
                raw.send(marked(t, 7, other)); // skipped
                raw.flush();
            }
            try (Producer p = driver.openTopic("mark-mixed").producer()) {
                p.push(Metadata.of("{\"i\":8}"), DataView.of(new byte[0])).get(30, TimeUnit.SECONDS);
            }
            try (Consumer c = driver.openTopic("mark-mixed").consumer(ConsumerOptions.named("m").targets(0))) {
                List<String> seen = new ArrayList<>();
                List<Long> ids = new ArrayList<>();
                Optional<Event> e;
                while ((e = c.poll(Duration.ofSeconds(seen.size() < 5 ? 20 : 2))).isPresent()) {
                    seen.add(e.get().metadata().toString());
                    ids.add(e.get().id());
                }
                assertEquals(List.of("{\"i\":0}", "{\"i\":3}", "{\"i\":4}", "{\"i\":6}", "{\"i\":8}"), seen);
                assertEquals(List.of(0L, 3L, 4L, 6L, 8L), ids, "the skipped records keep their offsets");
            }
        }
    }

    @Test
    void theShortFormIsTheTwoHalvesXoredAndTheLegacyFormTheWholeId() {
        Uuid id = new Uuid(0x0102030405060708L, 0x1112131415161718L);
        IncarnationMark m = IncarnationMark.of(id);
        assertArrayEquals(ByteBuffer.allocate(8).putLong(0x0102030405060708L ^ 0x1112131415161718L).array(),
                m.fingerprint());
        assertArrayEquals(ByteBuffer.allocate(16).putLong(0x0102030405060708L).putLong(0x1112131415161718L).array(),
                m.legacyValue());
        assertNull(IncarnationMark.of(Uuid.ZERO_UUID));
        assertNull(IncarnationMark.of(null));
        assertNotEquals(m.fingerprint().length, m.legacyValue().length);
        assertEquals(IncarnationMark.KEY, m.header().key());
        assertArrayEquals(m.fingerprint(), m.header().value());
    }
}
