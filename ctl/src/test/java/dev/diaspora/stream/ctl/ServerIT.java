package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code diaspora-ctl server} as a child process, used by produce and consume of other child processes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+) id (\\S+)");

    @TempDir
    Path tmp;

    @Test
    void shouldServeTopicsToTheNettyDriverAndKeepThemAcrossRestarts() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        Path token = tmp.resolve("token");
        Files.writeString(token, "s3cret\n");
        Path root = tmp.resolve("server-root");
        String port;
        String id;
        List<String> first;
        try (ChildCtl.Daemon server = ctl.start("server", "--host", "127.0.0.1", "--port", "0", "--root-path",
                root.toString(), "--token-file", token.toString())) {
            Matcher m = awaitListening(server);
            port = m.group(2);
            id = m.group(3);
            String[] netty = {"--driver", "netty", "--driver.servers", "[\"127.0.0.1:" + port + "\"]",
                "--driver.token", "s3cret"};
            ctl.run(concat(List.of("topic", "create", "--name", "t", "--topic.num_partitions", "2"), netty)).ok();
            ctl.runIn("a\nb\nc\n", concat(List.of("produce", "-t", "t"), netty)).ok();
            first = ctl.run(concat(List.of("consume", "-t", "t", "-n", "c", "--format", "raw", "--count", "2"),
                    netty)).ok().lines();
            assertEquals(2, first.size(), first.toString());

            ChildCtl.Result refused = ctl.run("topic", "list", "--driver", "netty", "--driver.servers",
                    "[\"127.0.0.1:" + port + "\"]", "--driver.token", "wrong");
            assertTrue(refused.code() != 0, "a wrong token must fail");
            assertTrue(refused.err().contains("token"), refused.err());
            assertEquals(0, server.terminate(Duration.ofSeconds(20)), "SIGTERM stops the server cleanly");
            assertTrue(server.err().contains("wrong or missing token"), "the server logs the refusal: "
                    + server.err());
        }
        try (ChildCtl.Daemon again = ctl.start("server", "--host", "127.0.0.1", "--port", "0", "--root-path",
                root.toString(), "--token-file", token.toString())) {
            Matcher m = awaitListening(again);
            assertEquals(id, m.group(3), "the server keeps its identity across restarts");
            String[] netty = {"--driver", "netty", "--driver.servers", "[\"127.0.0.1:" + m.group(2) + "\"]",
                "--driver.token", "s3cret"};
            List<String> rest = ctl.run(concat(List.of("consume", "-t", "t", "-n", "c", "--format", "raw"), netty))
                    .ok().lines();
            List<String> all = new java.util.ArrayList<>(first);
            all.addAll(rest);
            java.util.Collections.sort(all);
            assertEquals(List.of("a", "b", "c"), all, "the consumer resumes after its acknowledged events");
            assertEquals(0, again.terminate(Duration.ofSeconds(20)));
        }
    }

    private static Matcher awaitListening(ChildCtl.Daemon server) throws Exception {
        Matcher[] found = new Matcher[1];
        ChildCtl.await(Duration.ofSeconds(30), "the server's 'listening on' line", () -> {
            try {
                Matcher m = LISTENING.matcher(server.out());
                if (m.find()) {
                    found[0] = m;
                    return true;
                }
                if (!server.process.isAlive()) {
                    throw new AssertionError("the server exited: " + server.err());
                }
                return false;
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        return found[0];
    }

    private static String[] concat(List<String> head, String[] tail) {
        String[] out = head.toArray(new String[head.size() + tail.length]);
        System.arraycopy(tail, 0, out, head.size(), tail.length);
        return out;
    }
}
