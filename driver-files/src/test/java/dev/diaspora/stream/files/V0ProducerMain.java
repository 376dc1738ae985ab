package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;

/**
 * Child process of {@link V0WriteTest}: opens a producer on a v0 topic, pushes {@code count} events (the fixtures'
 * event k = 0, 1, ...), flushes, prints {@code PUSHED}, keeps the producer open for {@code holdMillis}, then exits.
 */
public final class V0ProducerMain {
    private V0ProducerMain() {
    }

    /** @param args root path, topic, event count, hold time in ms */
    public static void main(String[] args) throws Exception {
        try (Driver d = Driver.open("files-v0", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Producer p = t.producer()) {
            int count = Integer.parseInt(args[2]);
            for (int k = 0; k < count; k++) {
                p.push(V0Fixtures.pushedMetadata(k), DataView.of(V0Fixtures.pattern(k, (k * 37) % 300)), 0);
            }
            p.flush().join();
            System.out.println("PUSHED");
            Thread.sleep(Long.parseLong(args[3]));
        }
    }
}
