package dev.diaspora.stream.kafka;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test (surefire does not run it): a rough throughput comparison of the driver against raw kafka-clients with
 * the same settings, on the same embedded broker, in the same run. Run with the test classpath:
 * {@code java -cp target/classes:target/test-classes:$(deps) dev.diaspora.stream.kafka.KafkaThroughputProbe}.
 */
public final class KafkaThroughputProbe {
    private KafkaThroughputProbe() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start();
        try {
            int[][] cases = {{100, 100_000}, {1024, 40_000}, {65_536, 2_000}};
            for (int round = 0; round < 2; round++) {
                for (int[] c : cases) {
                    run(kafka.bootstrapServers(), c[0], c[1], round);
                }
            }
        } finally {
            kafka.close();
        }
    }

    private static void run(String bootstrap, int size, int n, int round) throws Exception {
        String md = "{\"event_num\":123456,\"source\":\"probe\"}";
        byte[] data = new byte[size];
        // raw
        String rawTopic = "raw-" + size + "-" + round;
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(rawTopic, 1, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get();
        }
        Properties pp = new Properties();
        pp.putAll(props);
        pp.put("acks", "all");
        pp.put("enable.idempotence", "true");
        pp.put("linger.ms", "5");
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                byte[] v = new byte[4 + md.length() + size]; // the same framing work the driver does
                System.arraycopy(data, 0, v, 4 + md.length(), size);
                p.send(new ProducerRecord<>(rawTopic, 0, null, v));
            }
            p.flush();
        }
        long rawProduce = System.nanoTime() - t0;
        Properties cp = new Properties();
        cp.putAll(props);
        cp.put("group.id", "raw");
        cp.put("enable.auto.commit", "false");
        t0 = System.nanoTime();
        int got = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.assign(List.of(new TopicPartition(rawTopic, 0)));
            c.seekToBeginning(List.of(new TopicPartition(rawTopic, 0)));
            while (got < n) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
                got += rs.count();
            }
        }
        long rawConsume = System.nanoTime() - t0;
        // driver
        long drvProduce;
        long drvConsume;
        try (Driver driver = Driver.open("kafka", Metadata.of("{\"bootstrap.servers\":\"" + bootstrap + "\"}"))) {
            String topicName = "drv-" + size + "-" + round;
            driver.createTopic(topicName);
            TopicHandle topic = driver.openTopic(topicName);
            Metadata m = Metadata.of(md);
            t0 = System.nanoTime();
            try (Producer p = topic.producer()) {
                for (int i = 0; i < n; i++) {
                    p.push(m, DataView.of(data));
                }
                p.flush().get(300, TimeUnit.SECONDS);
            }
            drvProduce = System.nanoTime() - t0;
            t0 = System.nanoTime();
            try (Consumer c = topic.consumer(ConsumerOptions.named("drv").targets(0))) {
                for (int i = 0; i < n; i++) {
                    Optional<Event> e = c.poll(Duration.ofSeconds(30));
                    if (e.isEmpty()) {
                        throw new IllegalStateException("missing event " + i);
                    }
                }
            }
            drvConsume = System.nanoTime() - t0;
        }
        System.out.printf("round %d size %6d n %7d | produce raw %8.0f ev/s driver %8.0f ev/s ratio %.2f | consume raw"
                + " %8.0f ev/s driver %8.0f ev/s ratio %.2f%n", round, size, n, n * 1e9 / rawProduce,
                n * 1e9 / drvProduce, (double) rawProduce / drvProduce, n * 1e9 / rawConsume, n * 1e9 / drvConsume,
                (double) rawConsume / drvConsume);
    }
}
