package dev.diaspora.stream.bench.groups;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.bench.child.ParentWatchdog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * A consumer-group member in a child JVM (the one the failover measures kill with SIGKILL), on any driver: it joins,
 * never polls (its prefetch holds what arrives, unacknowledged), and prints {@code SHARE n} whenever the size of its
 * assignment changes; with {@code static} it reads every partition as explicit targets instead (no group). It halts
 * when its standard input closes (the parent died).
 *
 * <p>Thread safety: {@link #start} may be called from any thread; each call owns the process it returns (the caller
 * destroys it).
 */
final class MemberProcess {
    static final String FLAG = "--member";

    private MemberProcess() {
    }

    /**
     * Starts a member in a child JVM; {@code share} follows the size of its assignment (-1 until it reports).
     *
     * @param driverOptions the driver's options as JSON (what {@code Driver.open} takes)
     */
    static Process start(String driver, String driverOptions, String topic, String name, Duration sessionTimeout,
            boolean isStatic, AtomicInteger share) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                GroupFailoverBenchmark.class.getName(), FLAG, driver, driverOptions, topic, name,
                Long.toString(sessionTimeout.toMillis())));
        if (isStatic) {
            cmd.add("static");
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("SHARE ")) {
                        share.set(Integer.parseInt(line.substring(6)));
                    }
                }
            } catch (IOException e) {
                // killed: the pipe closes
            }
        }, "member-output");
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    /** The child's main: {@code --member DRIVER OPTIONS_JSON TOPIC NAME TIMEOUT_MS [static]}. */
    static void run(String[] args) throws Exception {
        ParentWatchdog.start();
        try (Driver d = Driver.open(args[1], Metadata.of(args[2])); TopicHandle t = d.openTopic(args[3])) {
            ConsumerOptions o = ConsumerOptions.named(args[4]).sessionTimeout(Duration.ofMillis(Long.parseLong(args[5])));
            if (args.length > 6 && args[6].equals("static")) {
                o = o.targets(IntStream.range(0, t.partitions().size()).toArray());
            }
            idle(t.consumer(o));
        }
    }

    private static void idle(Consumer c) throws InterruptedException {
        try (c) {
            int last = -1;
            while (true) {
                int now = c.assignment().size();
                if (now != last) {
                    System.out.println("SHARE " + now);
                    System.out.flush();
                    last = now;
                }
                Thread.sleep(2);
            }
        }
    }
}
