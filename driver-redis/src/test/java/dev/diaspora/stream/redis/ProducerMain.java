package dev.diaspora.stream.redis;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;

/**
 * Child process of {@link RedisMultiProcessTest} and {@link RedisLargeValueWriteTest}: pushes {@code count} events
 * {@code {"w": writer, "i": i}} to partition 0 (flushing every 50, so that the two processes' batches interleave),
 * flushes and exits with 0. The data of event i is {@code size} bytes of value {@code i} (one byte unless given).
 */
public final class ProducerMain {
    private ProducerMain() {
    }

    /** @param args uri, key prefix, topic, writer name, event count, and optionally the data size */
    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[4]);
        int size = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        try (Driver d = Driver.open("redis", Metadata.of("{\"uri\":\"" + args[0] + "\",\"key_prefix\":\"" + args[1]
                + "\"}")); TopicHandle t = d.openTopic(args[2]); Producer producer = t.producer()) {
            for (int i = 0; i < count; i++) {
                byte[] data = new byte[size];
                java.util.Arrays.fill(data, (byte) i);
                producer.push(Metadata.of("{\"w\":\"" + args[3] + "\",\"i\":" + i + "}"), DataView.of(data), 0);
                if (i % 50 == 49) {
                    producer.flush().join();
                }
            }
            producer.flush().join();
        }
    }
}
