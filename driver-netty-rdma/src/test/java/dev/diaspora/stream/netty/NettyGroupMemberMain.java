package dev.diaspora.stream.netty;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Child process of {@link NettyGroupTest}: a netty group member with a 1 s session timeout that prints
 * {@code ASSIGNMENT [p, ...]} whenever its partitions change, {@code ACKING <p> <id>} before it acknowledges an event
 * and {@code ACKED <p> <id>} once that is committed, until it is killed.
 */
public final class NettyGroupMemberMain {
    private NettyGroupMemberMain() {
    }

    /** @param args the driver options (JSON), topic name, consumer name */
    public static void main(String[] args) {
        try (Driver d = Driver.open("netty", Metadata.of(args[0]));
                TopicHandle t = d.openTopic(args[1]);
                Consumer c = t.consumer(ConsumerOptions.named(args[2]).sessionTimeout(NettyGroupTest.SESSION_TIMEOUT)
                        .heartbeatInterval(NettyGroupTest.SESSION_TIMEOUT.dividedBy(4)))) {
            Set<Integer> last = null;
            while (true) {
                Set<Integer> now = new TreeSet<>(c.assignment());
                if (!now.equals(last)) {
                    System.out.println("ASSIGNMENT " + now);
                    last = now;
                }
                Optional<Event> o = c.poll(Duration.ofMillis(50));
                if (o.isPresent()) {
                    Event e = o.get();
                    System.out.println("ACKING " + e.partition() + " " + e.id()); // a kill may come before ACKED
                    e.acknowledge();
                    c.commit().join();
                    System.out.println("ACKED " + e.partition() + " " + e.id());
                    Thread.sleep(20); // slow, so that events are left for the test to see move
                }
            }
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            e.printStackTrace();
        }
    }
}
