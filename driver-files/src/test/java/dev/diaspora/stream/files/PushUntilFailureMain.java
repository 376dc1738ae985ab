package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.util.concurrent.ExecutionException;

/**
 * Child process of {@link TopicIncarnationTest}: pushes {@code count} events one at a time, waiting for each future,
 * and prints {@code OK <n> <id>} or {@code FAIL <n> <exception class>} for each, then {@code DONE}. With a delay it
 * sleeps that many milliseconds between pushes.
 */
public final class PushUntilFailureMain {
    private PushUntilFailureMain() {
    }

    /** @param args root path, topic name, producer name, event count, delay in ms per event */
    public static void main(String[] args) throws Exception {
        String name = args[2];
        int count = Integer.parseInt(args[3]);
        long delay = Long.parseLong(args[4]);
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1])) {
            Producer producer = t.producer(ProducerOptions.named(name));
            System.out.println("READY");
            for (int i = 0; i < count; i++) {
                try {
                    long id = producer.push(Content.metadata(name, i), DataView.of(Content.data(name, i))).get();
                    System.out.println("OK " + i + " " + id);
                } catch (ExecutionException e) {
                    System.out.println("FAIL " + i + " " + e.getCause().getClass().getName());
                }
                Thread.sleep(delay);
            }
            try {
                producer.close();
            } catch (RuntimeException expected) {
                // close reports the failed pushes again
            }
        }
        System.out.println("DONE");
    }
}
