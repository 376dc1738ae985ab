package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.files.FilesDriverProvider;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.TopicBackend;
import dev.diaspora.stream.tck.LogCapture;
import dev.diaspora.stream.tck.RecordingClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition server topic's notifier thread (which tells tailing clients that a partition's end moved) reports a
 * failed round to the server's background error handler, where it was only logged, and goes on; without a handler the
 * failure is still logged with the place and the thread. The topic is a real files topic whose first two
 * {@code numPartitions} calls fail (with no subscribed handle, each round of the notifier reads the partition count).
 */
@Timeout(30)
class ServerBackgroundErrorTest {
    @TempDir
    Path dir;

    private TopicBackend failingTopic(Backend storage, AtomicInteger failures) {
        FilesDriverProvider files = new FilesDriverProvider();
        storage.createTopic("t", files.topicOptions().validate(Metadata.of("{\"num_partitions\":1}"), "topic"),
                Metadata.of("{\"validator\":{\"type\":\"default\"},\"partition_selector\":{\"type\":\"default\"},"
                        + "\"serializer\":{\"type\":\"default\"}}"));
        TopicBackend real = storage.openTopic("t");
        return (TopicBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {TopicBackend.class, LocalTopic.class}, (proxy, m, args) -> {
                    if (m.getName().equals("numPartitions") && failures.getAndIncrement() < 2) {
                        throw new DiasporaException("disk unreadable (injected)", null, true);
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private Backend storage() {
        FilesDriverProvider files = new FilesDriverProvider();
        return files.open(files.options().validate(Metadata.of("{\"root_path\":\""
                + dir.toString().replace("\\", "\\\\") + "\"}"), "storage"));
    }

    private static void awaitAtLeast(AtomicInteger n, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (n.get() < count) {
            assertTrue(System.nanoTime() < deadline, "the notifier did not retry");
            Thread.sleep(5);
        }
    }

    @Test
    void aFailedNotifierRoundReachesTheHandlerAndTheNotifierGoesOn() throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        try (Backend storage = storage()) {
            ServerTopic t = new ServerTopic("t", failingTopic(storage, calls), dir.resolve("state"),
                    (where, e) -> reports.add(where + " | " + e.getMessage() + " | "
                            + Thread.currentThread().getName()));
            try {
                awaitAtLeast(calls, 3); // two failed rounds, then a good one
                assertTrue(reports.size() == 2, reports.toString());
                assertTrue(reports.get(0).equals("topic 't': notifier round failed | disk unreadable (injected) |"
                        + " partition-server-notify-t"), reports.get(0));
            } finally {
                t.close();
            }
        }
    }

    /**
     * After a failed round the notifier pauses as {@link ServerTopic#NOTIFY_RETRY} says (100 ms, then doubling,
     * jittered), on the topic's clock: a clock that counts the pauses and returns at once.
     */
    @Test
    void aFailedNotifierRoundIsFollowedByThePausesOfTheRetryPolicy() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        RecordingClock clock = new RecordingClock();
        try (Backend storage = storage()) {
            ServerTopic t = new ServerTopic("t", failingTopic(storage, calls), dir.resolve("state"), (where, e) -> { },
                    clock);
            try {
                awaitAtLeast(calls, 3); // two failed rounds, then a good one
            } finally {
                t.close();
            }
        }
        clock.assertPausesFollow(ServerTopic.NOTIFY_RETRY, 2); // one per failed round
    }

    @Test
    void withoutAHandlerTheFailureIsLogged() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (LogCapture log = new LogCapture(); Backend storage = storage()) {
            ServerTopic t = new ServerTopic("t", failingTopic(storage, calls), dir.resolve("state"),
                    dev.diaspora.stream.BackgroundErrorHandler.logging());
            try {
                awaitAtLeast(calls, 3);
            } finally {
                t.close();
            }
            String text = log.text();
            assertTrue(text.contains("WARN") && text.contains("topic 't': notifier round failed:")
                    && text.contains("disk unreadable (injected) (thread partition-server-notify-t)"), text);
        }
    }
}
