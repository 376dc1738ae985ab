package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fifo daemon through the jar, against the files driver: both directions, options, SIGTERM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FifoIT {
    @TempDir
    Path tmp;

    private static void write(Path fifo, String text) throws IOException {
        try (OutputStream o = new FileOutputStream(fifo.toFile())) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Reads lines from a FIFO on a thread (opening it blocks until the daemon opens it for writing). */
    private static Thread reader(Path fifo, List<String> into) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(fifo),
                    StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    into.add(l);
                }
            } catch (IOException e) {
                into.add("ERROR " + e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void shouldBridgeFifosAndTopicsBothWaysAndStopOnSigterm() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "fifo-topic").ok();
        ctl.run("topic", "create", "@D", "--name", "json-topic").ok();
        Path control = tmp.resolve("run/control");
        Path in = tmp.resolve("run/in.fifo");
        Path jsonIn = tmp.resolve("run/json.fifo");
        Path out = tmp.resolve("out.fifo");
        try (ChildCtl.Daemon daemon = ctl.start("fifo", "@D", "--control-file", control.toString())) {
            ChildCtl.await(Duration.ofSeconds(30), "the control FIFO", () -> Fifos.isFifo(control));
            write(control, in + " -> fifo-topic (batch_size=256)\n" + jsonIn + " -> json-topic (format=json)\n");
            ChildCtl.await(Duration.ofSeconds(10), "the producer FIFOs",
                    () -> Fifos.isFifo(in) && Fifos.isFifo(jsonIn));
            write(in, "test message 1\n");
            write(in, "test message 2\n");
            write(in, "test message 3\ntest \"4\"");
            write(jsonIn, "{\"k\": 1}\nnot json\n{\"k\": 2}\n");
            ChildCtl.await(Duration.ofSeconds(10), "4 events", () -> ctl.count("fifo-topic") == 4);
            ChildCtl.await(Duration.ofSeconds(10), "2 json events", () -> ctl.count("json-topic") == 2);
            assertEquals("{\"k\": 2}", ctl.readAll("json-topic").get(1).metadata());

            Fifos.make(out);
            List<String> lines = Collections.synchronizedList(new ArrayList<>());
            Thread cat = reader(out, lines);
            write(control, out + " <- fifo-topic\n");
            ChildCtl.await(Duration.ofSeconds(10), "4 lines", () -> lines.size() >= 4);
            assertEquals(List.of("test message 1", "test message 2", "test message 3", "test \"4\""), lines);

            long t0 = System.nanoTime();
            assertEquals(0, daemon.terminate(Duration.ofSeconds(5)), daemon.err());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
            cat.join(5000);
            assertFalse(Files.exists(control), "control FIFO removed");
            assertFalse(Files.exists(in), "producer FIFOs it made are removed");
            assertTrue(Files.exists(out), "consumer FIFOs are left");
            String consumer = "fifo" + out.toString().replace('/', '_');
            assertTrue(ctl.run("consumer", "describe", "@D", "-t", "fifo-topic", "-n", consumer).ok().out()
                    .contains(" 4 "), "positions persisted");
        }
    }

    @Test
    void shouldDeliverEventsProducedWhileTheWriterKeepsTheFifoOpen() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "concurrent").ok();
        Path control = tmp.resolve("control");
        Path in = tmp.resolve("in.fifo");
        Path out = tmp.resolve("out.fifo");
        try (ChildCtl.Daemon daemon = ctl.start("fifo", "@D", "--control-file", control.toString())) {
            ChildCtl.await(Duration.ofSeconds(30), "the control FIFO", () -> Fifos.isFifo(control));
            Fifos.make(out);
            List<String> lines = Collections.synchronizedList(new ArrayList<>());
            Thread cat = reader(out, lines);
            write(control, in + " -> concurrent (batch_size=1)\n");
            ChildCtl.await(Duration.ofSeconds(10), "the producer FIFO", () -> Fifos.isFifo(in));
            try (OutputStream o = new FileOutputStream(in.toFile())) {
                for (int i = 1; i <= 5; i++) {
                    o.write(("concurrent_message_" + i + "\n").getBytes(StandardCharsets.UTF_8));
                    o.flush();
                }
                ChildCtl.await(Duration.ofSeconds(10), "5 events", () -> ctl.count("concurrent") == 5);
                write(control, out + " <- concurrent (format=event, name=reader)\n");
                ChildCtl.await(Duration.ofSeconds(10), "5 lines", () -> lines.size() >= 5);
                o.write("concurrent_message_6\n".getBytes(StandardCharsets.UTF_8));
                o.flush();
                ChildCtl.await(Duration.ofSeconds(10), "6 lines", () -> lines.size() >= 6);
            }
            for (int i = 0; i < 6; i++) {
                assertTrue(lines.get(i).contains("\"metadata\":\"concurrent_message_" + (i + 1) + "\""), lines.get(i));
            }
            assertEquals(0, daemon.terminate(Duration.ofSeconds(5)));
            cat.join(5000);
        }
    }
}
