package dev.diaspora.stream.bench.groups;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.kafka.EmbeddedKafka;
import dev.diaspora.stream.netty.PartitionServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The drivers a failover run compares, with what they need started in this JVM: {@code files} (a directory under the
 * run's work directory), {@code netty} (a partition server on loopback) and {@code kafka} (a single-node KRaft broker,
 * with {@code group.min.session.timeout.ms} lowered so that short session timeouts are accepted).
 *
 * <p>Thread safety: open and close from one thread; {@link #driver} and {@link #options} may be read from any thread.
 * Owns the drivers, the server and the broker: {@link #close} closes them.
 */
final class FailoverDrivers implements AutoCloseable {
    /** The drivers {@code --drivers} accepts. */
    static final List<String> KNOWN = List.of("files", "netty", "kafka");

    private final Map<String, Driver> drivers = new LinkedHashMap<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<AutoCloseable> resources = new ArrayList<>();

    /**
     * Opens {@code names} (each one of {@link #KNOWN}) in that order.
     *
     * @param work a directory for the {@code files} driver and the partition server
     */
    FailoverDrivers(List<String> names, Path work) throws Exception {
        try {
            for (String name : names) {
                String json = switch (name) {
                    case "files" -> "{\"root_path\":\"" + work.resolve("files") + "\"}";
                    case "netty" -> {
                        PartitionServer server = PartitionServer.builder().host("127.0.0.1").port(0)
                                .rootPath(work.resolve("netty-server")).ioThreads(1).start();
                        resources.add(server);
                        yield "{\"servers\":[\"127.0.0.1:" + server.port() + "\"]}";
                    }
                    case "kafka" -> {
                        EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.SHORT_GROUP_TIMEOUTS);
                        resources.add(kafka);
                        yield "{\"bootstrap.servers\":\"" + kafka.bootstrapServers() + "\"}";
                    }
                    default -> throw new IllegalArgumentException("unknown driver '" + name + "' in --drivers; use"
                            + " some of " + KNOWN);
                };
                options.put(name, json);
                drivers.put(name, Driver.open(name, Metadata.of(json)));
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    Driver driver(String name) {
        return drivers.get(name);
    }

    /** @return the JSON options this driver was opened with (a child member opens it with the same) */
    String options(String name) {
        return options.get(name);
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        List<AutoCloseable> all = new ArrayList<>(drivers.values());
        List<AutoCloseable> started = new ArrayList<>(resources);
        Collections.reverse(started);
        all.addAll(started);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        drivers.clear();
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
