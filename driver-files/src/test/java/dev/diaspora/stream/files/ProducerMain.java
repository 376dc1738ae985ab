package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;

/**
 * Child process of {@link MultiProcessTest}: pushes {@code count} events with the content of
 * {@code Content.metadata/data(name, seq)} (round robin over the partitions), flushes, prints {@code DONE} and exits.
 * With a delay argument it sleeps that many milliseconds after each event (a slow, steady producer).
 */
public final class ProducerMain {
    private ProducerMain() {
    }

    /** @param args root path, topic name, producer name, event count, optional delay in ms per event */
    public static void main(String[] args) throws Exception {
        String name = args[2];
        int count = Integer.parseInt(args[3]);
        long delay = args.length > 4 ? Long.parseLong(args[4]) : 0;
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Producer producer = t.producer(ProducerOptions.named(name))) {
            System.out.println("READY");
            for (int i = 0; i < count; i++) {
                producer.push(Content.metadata(name, i), DataView.of(Content.data(name, i)));
                if (delay > 0) {
                    producer.flush().join();
                    Thread.sleep(delay);
                }
            }
            producer.flush().join();
        }
        System.out.println("DONE");
    }
}
