package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child process of {@link CreateIfAbsentRaceTest}: opens the files driver, prints {@code READY}, waits for the start
 * file, calls {@code createTopicIfAbsent(topic, {"num_partitions":4})}, prints {@code CREATED} or {@code EXISTED},
 * opens the topic, pushes one event naming itself, prints {@code OPENED <partitions>} and exits.
 */
public final class CreateIfAbsentMain {
    private CreateIfAbsentMain() {
    }

    /** @param args root path, topic name, this child's name, start file */
    public static void main(String[] args) throws Exception {
        Path go = Path.of(args[3]);
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"))) {
            System.out.println("READY");
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!Files.exists(go)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("no start file " + go + " within 120 s");
                }
                Thread.onSpinWait();
            }
            boolean created = d.createTopicIfAbsent(args[1], Metadata.of("{\"num_partitions\":4}"));
            System.out.println(created ? "CREATED" : "EXISTED");
            try (TopicHandle t = d.openTopic(args[1]); Producer p = t.producer()) {
                p.push(Metadata.of("{\"child\":\"" + args[2] + "\"}"), DataView.EMPTY).join();
                System.out.println("OPENED " + t.partitions().size());
            }
        }
    }
}
