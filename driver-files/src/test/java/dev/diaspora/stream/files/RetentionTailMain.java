package dev.diaspora.stream.files;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Child process of {@link FilesRetentionTest}: a slow consumer (EARLIEST policy for expired positions) that tails a
 * topic whose old segments retention removes meanwhile, with a small prefetch (4 events, 1 MiB) so that it falls behind. Prints {@code READY}, then {@code EVENT <id> <n>} per event
 * whose content is {@code Content.metadata/data("r", n)} or {@code BAD <id> ...} otherwise, and {@code DONE <expired>}
 * (its {@code eventsExpired} metric) once it received event {@code last}. After its first event it prints
 * {@code FIRST} and waits for a file, so that the test can let retention overtake it.
 */
public final class RetentionTailMain {
    private RetentionTailMain() {
    }

    /**
     * @param args root path, topic name, the n of the last event, pause in ms after each event, a file: after the first
     *     event the consumer prints {@code FIRST} and waits until that file exists
     */
    public static void main(String[] args) throws Exception {
        long last = Long.parseLong(args[2]);
        long pause = Long.parseLong(args[3]);
        java.nio.file.Path go = java.nio.file.Path.of(args[4]);
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Consumer c = t.consumer(ConsumerOptions.named("tail").maxPrefetchBytes(1 << 20)
                        .batchSize(BatchSize.of(4)).maxPrefetchBatches(1))) {
            System.out.println("READY");
            while (true) {
                Optional<Event> o = c.poll(Duration.ofSeconds(60));
                if (o.isEmpty()) {
                    System.out.println("TIMEOUT");
                    return;
                }
                Event e = o.get();
                long n = e.metadata().json().get("n").asLong();
                boolean good = Content.metadata("r", n).toString().equals(e.metadata().toString())
                        && Arrays.equals(Content.data("r", n), e.data().toByteArray());
                System.out.println((good ? "EVENT " : "BAD ") + e.id() + " " + n);
                e.acknowledge();
                if (n == last) {
                    break;
                }
                if (!java.nio.file.Files.exists(go)) {
                    System.out.println("FIRST");
                    while (!java.nio.file.Files.exists(go)) {
                        Thread.sleep(5);
                    }
                }
                Thread.sleep(pause);
            }
            System.out.println("DONE " + c.metrics().eventsExpired());
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            e.printStackTrace();
        }
    }
}
