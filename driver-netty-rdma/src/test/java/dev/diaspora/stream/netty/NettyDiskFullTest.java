package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition server whose file system fills up (issue 13, item 5): the second of two servers stores on a 2 MiB
 * tmpfs. Pushes to its partition fail with a retriable error naming the topic's partition, the server and the file;
 * the other server's partition goes on; once space is freed the same producer stores again, and every acknowledged
 * event reads back. Needs the right to mount (root with CAP_SYS_ADMIN, as in CI), else skipped with the reason.
 */
@Timeout(120)
class NettyDiskFullTest {
    @TempDir
    Path base;

    @Test
    void aFullDiskOnAServerFailsPushesRetriablyNamingPartitionServerAndFileAndTheyStoreAgainOnceSpaceIsFreed()
            throws Exception {
        Path small = Files.createDirectories(base.resolve("server-1"));
        String out = run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString());
        Assumptions.assumeTrue(out == null, () -> "skipped: cannot mount a tmpfs (needs root with CAP_SYS_ADMIN, as"
                + " in CI): " + out);
        try (Servers servers = Servers.start(base, 2)) {
            Path ballast = small.resolve("ballast");
            Files.write(ballast, new byte[512 * 1024]);
            List<byte[]> acked = new ArrayList<>();
            // partition 1 on the second server, the one on the small file system
            String name = PlacedNames.topic("t", servers.list().stream().map(PartitionServer::serverId).toList());
            try (Driver d = Driver.open("netty", servers.driverOptions())) {
                d.createTopic(name, Metadata.of("{\"num_partitions\":2,\"segment_size\":262144}"));
                try (TopicHandle t = d.openTopic(name); Producer p = t.producer()) {
                    DiasporaException full = null;
                    for (int n = 0; n < 1000 && full == null; n++) {
                        byte[] data = data(n);
                        CompletableFuture<Long> f = p.push(Metadata.of("{\"n\":" + n + "}"), DataView.of(data), 1);
                        try {
                            assertEquals(acked.size(), f.join(), "ids follow each other");
                            acked.add(data);
                        } catch (CompletionException e) {
                            full = assertInstanceOf(DiasporaException.class, e.getCause());
                        }
                    }
                    assertNotNull(full, "the server's file system never filled up");
                    String m = full.getMessage();
                    assertTrue(full.isRetriable(), "a full disk is retriable: " + full);
                    assertTrue(m.startsWith("partition 1 ") && m.contains(small.toString())
                            && m.contains("file system is full") && m.contains("from server 127.0.0.1:"), m);
                    assertEquals(0L, p.push(Metadata.of("{}"), DataView.of(new byte[1000]), 0).join(),
                            "the other server's partition is not affected");
                    p.flush().exceptionally(e -> null).join();
                    Files.delete(ballast);
                    for (int n = 5000; n < 5005; n++) {
                        byte[] data = data(n);
                        assertEquals(acked.size(), p.push(Metadata.of("{\"n\":" + n + "}"), DataView.of(data), 1)
                                .join(), "stored again once space came back, after the acknowledged events");
                        acked.add(data);
                    }
                }
                try (TopicHandle t = d.openTopic(name);
                        Consumer c = t.consumer(ConsumerOptions.named("check").targets(1))) {
                    for (int i = 0; i < acked.size(); i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        assertEquals(i, e.id());
                        assertArrayEquals(acked.get(i), e.data().toByteArray(), "event " + i);
                    }
                    assertTrue(c.poll(Duration.ofMillis(300)).isEmpty(), "no event the producer was not told of");
                }
            }
        } finally {
            String u = run("umount", "-l", small.toString());
            if (u != null) {
                System.err.println(u);
            }
        }
    }

    private static byte[] data(int n) {
        byte[] b = new byte[20_000 + n % 7 * 1000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (n * 31 + i);
        }
        return b;
    }

    /** @return null if the command succeeded, else what it printed */
    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", command) + ": no answer in 20 s";
            }
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue() + ": " + text;
        } catch (java.io.IOException e) {
            return String.join(" ", command) + ": " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
