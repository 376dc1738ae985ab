package dev.diaspora.stream.files;

import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

/**
 * Child process of {@link MultiProcessTest}: a consumer that tails a topic and prints, for each event,
 * {@code EVENT <partition> <id> <key> <n> <wall-clock ns at receipt> <storage timestamp ns>}, or {@code BAD ...} if the
 * content differs from {@code Content.metadata/data(key, n)}; prints {@code DONE} after {@code count} events.
 */
public final class TailConsumerMain {
    private TailConsumerMain() {
    }

    /** @param args root path, topic name, consumer name, event count */
    public static void main(String[] args) {
        int count = Integer.parseInt(args[3]);
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Consumer c = t.consumer(ConsumerOptions.named(args[2]))) {
            for (int i = 0; i < 200; i++) { // warm up (class loading, JIT) so that latency is measured warm
                Metadata m = Content.metadata("warm", i);
                m.json().get("k").asText();
                Arrays.equals(Content.data("warm", i), Content.data("warm", i));
            }
            c.poll(Duration.ZERO);
            System.out.println("READY");
            for (int i = 0; i < count; i++) {
                Optional<Event> o = c.poll(Duration.ofSeconds(60));
                if (o.isEmpty()) {
                    System.out.println("TIMEOUT after " + i + " events");
                    return;
                }
                Event e = o.get();
                Instant now = Instant.now();
                String key = e.metadata().json().get("k").asText();
                long n = e.metadata().json().get("n").asLong();
                boolean good = Content.metadata(key, n).toString().equals(e.metadata().toString())
                        && Arrays.equals(Content.data(key, n), e.data().toByteArray());
                System.out.println((good ? "EVENT " : "BAD ") + e.partition() + " " + e.id() + " " + key + " " + n + " "
                        + (now.getEpochSecond() * 1_000_000_000L + now.getNano()) + " "
                        + (e.timestamp().getEpochSecond() * 1_000_000_000L + e.timestamp().getNano()));
                e.acknowledge();
            }
            System.out.println("DONE");
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            e.printStackTrace();
        }
    }
}
