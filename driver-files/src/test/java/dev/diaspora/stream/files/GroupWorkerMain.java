package dev.diaspora.stream.files;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Child process of {@link FilesGroupKillTest} and {@link FilesGroupTest}: a group member (1 s session timeout) that reads until it is killed and
 * prints, one line each: {@code ASSIGNMENT [p, ...]} when its partitions change; {@code GOT <p> <id>} for every event
 * delivered; {@code CONFLICT <p> <id>} when acknowledging it fails because a rebalance moved its partition away (the
 * new reader gets it again); {@code ACKED <p> <id>} for every acknowledged event once a {@code commit()} covering it
 * has completed (every 8 events and when a poll comes back empty). An optional fourth argument slows it down: that
 * many milliseconds of sleep after each event, so that events are left for a test to see move. An event with {@code GOT} and no {@code ACKED} in a
 * killed member was delivered but not acknowledged (stored) before the kill.
 */
public final class GroupWorkerMain {
    private static final int COMMIT_EVERY = 8;

    private GroupWorkerMain() {
    }

    /** @param args root path, topic name, consumer name, optionally a delay per event in milliseconds */
    public static void main(String[] args) {
        long delayMillis = args.length > 3 ? Long.parseLong(args[3]) : 0;
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Consumer c = t.consumer(ConsumerOptions.named(args[2]).sessionTimeout(Duration.ofSeconds(1))
                        .heartbeatInterval(Duration.ofMillis(250)))) {
            Set<Integer> last = null;
            List<String> acked = new ArrayList<>();
            while (true) {
                Set<Integer> now = new TreeSet<>(c.assignment());
                if (!now.equals(last)) {
                    System.out.println("ASSIGNMENT " + now);
                    last = now;
                }
                Optional<Event> o = c.poll(Duration.ofMillis(20));
                if (o.isPresent()) {
                    Event e = o.get();
                    String key = e.partition() + " " + e.id();
                    System.out.println("GOT " + key);
                    try {
                        e.acknowledge();
                        acked.add(key);
                    } catch (ConsumerConflictException x) {
                        System.out.println("CONFLICT " + key);
                    }
                    if (delayMillis > 0) {
                        Thread.sleep(delayMillis);
                    }
                }
                if (!acked.isEmpty() && (o.isEmpty() || acked.size() >= COMMIT_EVERY)) {
                    c.commit().join();
                    StringBuilder b = new StringBuilder();
                    for (String k : acked) {
                        b.append("ACKED ").append(k).append('\n');
                    }
                    System.out.print(b);
                    System.out.flush();
                    acked.clear();
                }
            }
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            e.printStackTrace();
        }
    }
}
