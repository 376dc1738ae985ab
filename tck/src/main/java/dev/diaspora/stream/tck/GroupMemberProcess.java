package dev.diaspora.stream.tck;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A consumer-group member in a child JVM, for the process tests of a driver (a member killed with SIGKILL must lose
 * its partitions to the live members). The child ({@link #main}) opens the driver, joins the group of a consumer name
 * and, until it is killed, prints {@code ASSIGNMENT [p, ...]} whenever its partitions change, {@code ACKING <p> <id>}
 * before it acknowledges an event and {@code ACKED <p> <id>} once that acknowledgement is committed; it reads slowly
 * (20 ms per event), so that events are left to move when it dies. The parent ({@link #start}) collects those lines.
 *
 * <p>Ownership: the test closes it (killing the child if it still runs). Thread safety: thread-safe (one thread reads
 * the child's output into a guarded list).
 */
public final class GroupMemberProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final List<String> lines = new ArrayList<>(); // guarded by itself
    private final Thread reader;

    private GroupMemberProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(l);
                    }
                }
            } catch (IOException e) {
                // the child ended
            }
        }, "tck-member-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a member in a child JVM with this JVM's class path (the driver must be on it); its stderr goes to
     * {@code member-<consumer>.stderr} in {@code logDir}.
     */
    public static GroupMemberProcess start(Path logDir, String driver, Metadata options, String topic,
            String consumer, Duration sessionTimeout) throws IOException {
        Path log = logDir.resolve("member-" + consumer + ".stderr");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Ddiaspora.jmx=false", "-cp",
                System.getProperty("java.class.path"), GroupMemberProcess.class.getName(), driver, options.toString(),
                topic, consumer, Long.toString(sessionTimeout.toMillis()));
        return new GroupMemberProcess(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(
                log.toFile())).start(), log);
    }

    /** The child: @param args driver name, driver options (JSON), topic, consumer name, session timeout (ms) */
    public static void main(String[] args) {
        Duration timeout = Duration.ofMillis(Long.parseLong(args[4]));
        try (Driver d = Driver.open(args[0], Metadata.of(args[1]));
                TopicHandle t = d.openTopic(args[2]);
                Consumer c = t.consumer(ConsumerOptions.named(args[3]).sessionTimeout(timeout)
                        .heartbeatInterval(timeout.dividedBy(4)))) {
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
                    Thread.sleep(20);
                }
            }
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            e.printStackTrace();
        }
    }

    /** @return the {@code "p:id"} of the output lines starting with {@code prefix} ({@code "ACKING "}, {@code "ACKED "}) */
    public Set<String> lines(String prefix) {
        Set<String> out = new HashSet<>();
        synchronized (lines) {
            for (String l : lines) {
                if (l.startsWith(prefix)) {
                    String[] f = l.split(" ");
                    out.add(f[1] + ":" + f[2]);
                }
            }
        }
        return out;
    }

    /** @return the last assignment the child printed, or null if none yet */
    public Set<Integer> lastAssignment() {
        Set<Integer> out = null;
        synchronized (lines) {
            for (String l : lines) {
                if (l.startsWith("ASSIGNMENT [")) {
                    out = new TreeSet<>();
                    String body = l.substring("ASSIGNMENT [".length(), l.length() - 1).trim();
                    if (!body.isEmpty()) {
                        for (String s : body.split(",\\s*")) {
                            out.add(Integer.parseInt(s));
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Kills the child at once (SIGKILL: no close, no last commit), waits until it is gone and until every line it
     * printed was read, so that {@link #lines} tells all it did.
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the member child survived SIGKILL for 30 s (" + this + ")");
        }
        reader.join(TimeUnit.SECONDS.toMillis(30));
        if (reader.isAlive()) {
            throw new IllegalStateException("the output of the killed member child did not end within 30 s (" + this
                    + ")");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    @Override
    public String toString() {
        synchronized (lines) {
            return "member child, output " + lines + ", stderr " + log;
        }
    }
}
