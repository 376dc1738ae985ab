package dev.diaspora.stream.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.ListenerNotFoundException;
import javax.management.MBeanServer;
import javax.management.MBeanServerDelegate;
import javax.management.MBeanServerNotification;
import javax.management.Notification;
import javax.management.NotificationListener;
import javax.management.ObjectName;

/**
 * Binds the MBeans of Diaspora drivers, producers and consumers (domain {@code dev.diaspora.stream}, see
 * {@code docs/metrics.md}) to Micrometer meters, following Micrometer's naming conventions (lower-case dotted names,
 * base units, tags for the identity): {@code diaspora.producer.events.stored}, {@code diaspora.consumer.lag},
 * {@code diaspora.producer.push.latency.percentile} with tag {@code phi}, and so on. Every meter is tagged with
 * {@code driver}, and producer and consumer meters with {@code topic}, {@code name} and {@code id} (the MBean's
 * number, unique in the JVM).
 *
 * <p>It follows the MBean server: producers and consumers opened after {@link #bindTo} get meters when their MBean is
 * registered, and lose them when it is unregistered (on close), so a registry does not keep closed objects. Values
 * are read from the MBeans when the registry reads the meters. {@link #close()} stops following and removes every
 * meter it added.
 *
 * <pre>{@code
 * DiasporaMeterBinder binder = new DiasporaMeterBinder();
 * binder.bindTo(registry);      // e.g. a PrometheusMeterRegistry
 * ...
 * binder.close();
 * }</pre>
 *
 * <p>Thread safety: thread-safe. The binder owns the meters it registers; the registries stay the caller's.
 */
public final class DiasporaMeterBinder implements MeterBinder, AutoCloseable {
    /** The JMX domain the engine registers its MBeans in. */
    public static final String DOMAIN = "dev.diaspora.stream";

    private enum Kind { COUNTER, GAUGE, NANOS_GAUGE, NANOS_COUNTER }

    private record Spec(String attribute, String meter, Kind kind, String unit, String description, Tags extra) {
        Spec(String attribute, String meter, Kind kind, String unit, String description) {
            this(attribute, meter, kind, unit, description, Tags.empty());
        }
    }

    /** The meters of a latency histogram's attributes ({@code <prefix>LatencyP50} ... {@code Max}). */
    private static List<Spec> latency(String prefix, String meter, String description) {
        return List.of(
                new Spec(prefix + "LatencyP50", meter + ".percentile", Kind.NANOS_GAUGE, "seconds", description,
                        Tags.of("phi", "0.5")),
                new Spec(prefix + "LatencyP90", meter + ".percentile", Kind.NANOS_GAUGE, "seconds", description,
                        Tags.of("phi", "0.9")),
                new Spec(prefix + "LatencyP99", meter + ".percentile", Kind.NANOS_GAUGE, "seconds", description,
                        Tags.of("phi", "0.99")),
                new Spec(prefix + "LatencyMax", meter + ".max", Kind.NANOS_GAUGE, "seconds", "largest " + description));
    }

    private static List<Spec> concat(List<Spec> a, List<Spec> b) {
        List<Spec> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static final Map<String, List<Spec>> SPECS = Map.of(
            "Driver", List.of(
                    new Spec("OpenTopics", "diaspora.driver.topics.open", Kind.GAUGE, "topics",
                            "topic handles open"),
                    new Spec("OpenProducers", "diaspora.driver.producers.open", Kind.GAUGE, "producers",
                            "producers open"),
                    new Spec("OpenConsumers", "diaspora.driver.consumers.open", Kind.GAUGE, "consumers",
                            "consumers open")),
            "Producer", concat(List.of(
                    new Spec("EventsPushed", "diaspora.producer.events.pushed", Kind.COUNTER, "events",
                            "events accepted by push"),
                    new Spec("EventsStored", "diaspora.producer.events.stored", Kind.COUNTER, "events",
                            "events whose push completed successfully"),
                    new Spec("EventsFailed", "diaspora.producer.events.failed", Kind.COUNTER, "events",
                            "events whose push failed"),
                    new Spec("BytesStored", "diaspora.producer.bytes.stored", Kind.COUNTER, "bytes",
                            "metadata plus data bytes of stored events"),
                    new Spec("BatchesSent", "diaspora.producer.batches.sent", Kind.COUNTER, "batches",
                            "batches handed to the driver"),
                    new Spec("PendingEvents", "diaspora.producer.pending.events", Kind.GAUGE, "events",
                            "events pushed and not yet completed"),
                    new Spec("PendingBytes", "diaspora.producer.pending.bytes", Kind.GAUGE, "bytes",
                            "bytes pushed and not yet completed"),
                    new Spec("BackPressureTime", "diaspora.producer.backpressure.time", Kind.NANOS_COUNTER,
                            "seconds", "total time push spent blocked at the memory bound")),
                    latency("Push", "diaspora.producer.push.latency", "time from push to stored")),
            "Consumer", concat(List.of(
                    new Spec("EventsDelivered", "diaspora.consumer.events.delivered", Kind.COUNTER, "events",
                            "events handed to the application"),
                    new Spec("BytesDelivered", "diaspora.consumer.bytes.delivered", Kind.COUNTER, "bytes",
                            "selected data bytes delivered"),
                    new Spec("BatchesFetched", "diaspora.consumer.batches.fetched", Kind.COUNTER, "batches",
                            "batches read from the driver"),
                    new Spec("PrefetchedEvents", "diaspora.consumer.prefetched.events", Kind.GAUGE, "events",
                            "events read ahead and not yet delivered"),
                    new Spec("PrefetchedBytes", "diaspora.consumer.prefetched.bytes", Kind.GAUGE, "bytes",
                            "bytes read ahead and not yet delivered"),
                    new Spec("EventsSkipped", "diaspora.consumer.events.skipped", Kind.COUNTER, "events",
                            "unreadable events skipped"),
                    new Spec("EventsLost", "diaspora.consumer.events.lost", Kind.COUNTER, "events",
                            "event ids the driver reported lost"),
                    new Spec("EventsExpired", "diaspora.consumer.events.expired", Kind.COUNTER, "events",
                            "event ids passed over because retention had dropped them"),
                    new Spec("Lag", "diaspora.consumer.lag", Kind.GAUGE, "events",
                            "events stored and not yet delivered, over the partitions held")),
                    latency("Poll", "diaspora.consumer.poll.latency", "time a pull waited for its event")));

    private final MBeanServer server;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final Map<ObjectName, List<Meter>> meters = new ConcurrentHashMap<>();
    private final NotificationListener listener = this::onNotification;
    private volatile boolean listening;
    private volatile boolean closed;

    /** A binder for the platform MBean server, where the engine registers its MBeans. */
    public DiasporaMeterBinder() {
        this(ManagementFactory.getPlatformMBeanServer());
    }

    DiasporaMeterBinder(MBeanServer server) {
        this.server = server;
    }

    /**
     * Adds meters for every Diaspora MBean registered now, and from now on for those registered later.
     *
     * @throws IllegalStateException if the binder was closed
     */
    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        if (closed) {
            throw new IllegalStateException("this DiasporaMeterBinder is closed; make a new one to bind a registry");
        }
        registries.add(registry);
        if (!listening) {
            try {
                server.addNotificationListener(MBeanServerDelegate.DELEGATE_NAME, listener, null, null);
            } catch (InstanceNotFoundException e) {
                throw new IllegalStateException("the MBean server has no delegate: " + e, e);
            }
            listening = true;
        }
        for (ObjectName name : server.queryNames(pattern(), null)) {
            add(name, registry);
        }
    }

    /** @return the names of the MBeans that have meters now */
    public List<ObjectName> boundMBeans() {
        return List.copyOf(meters.keySet());
    }

    /** Stops following the MBean server and removes every meter this binder added from the registries. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listening) {
            try {
                server.removeNotificationListener(MBeanServerDelegate.DELEGATE_NAME, listener);
            } catch (InstanceNotFoundException | ListenerNotFoundException e) {
                // already gone: nothing to stop
            }
        }
        for (ObjectName name : List.copyOf(meters.keySet())) {
            remove(name);
        }
    }

    private static ObjectName pattern() {
        try {
            return new ObjectName(DOMAIN + ":*");
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    private void onNotification(Notification n, Object handback) {
        if (!(n instanceof MBeanServerNotification) || closed) {
            return;
        }
        ObjectName name = ((MBeanServerNotification) n).getMBeanName();
        if (!DOMAIN.equals(name.getDomain())) {
            return;
        }
        if (MBeanServerNotification.REGISTRATION_NOTIFICATION.equals(n.getType())) {
            for (MeterRegistry r : registries) {
                add(name, r);
            }
        } else if (MBeanServerNotification.UNREGISTRATION_NOTIFICATION.equals(n.getType())) {
            remove(name);
        }
    }

    private void add(ObjectName name, MeterRegistry registry) {
        List<Spec> specs = SPECS.get(name.getKeyProperty("type"));
        if (specs == null) {
            return;
        }
        Tags tags = tags(name);
        List<Meter> added = new ArrayList<>();
        for (Spec s : specs) {
            Tags t = tags.and(s.extra());
            switch (s.kind()) {
                case COUNTER -> added.add(FunctionCounter.builder(s.meter(), this, b -> b.read(name, s.attribute()))
                        .baseUnit(s.unit()).description(s.description()).tags(t).register(registry));
                case NANOS_COUNTER -> added.add(FunctionCounter.builder(s.meter(), this,
                                b -> b.read(name, s.attribute()) / 1e9)
                        .baseUnit(s.unit()).description(s.description()).tags(t).register(registry));
                case GAUGE -> added.add(Gauge.builder(s.meter(), this, b -> b.read(name, s.attribute()))
                        .baseUnit(s.unit()).description(s.description()).tags(t).register(registry));
                case NANOS_GAUGE -> added.add(TimeGauge.builder(s.meter(), this, TimeUnit.NANOSECONDS,
                                b -> b.read(name, s.attribute()))
                        .description(s.description()).tags(t).register(registry));
                default -> throw new AssertionError(s.kind());
            }
        }
        if ("Consumer".equals(name.getKeyProperty("type"))) {
            long[] lag = readArray(name, "PartitionLag");
            for (int p = 0; p < lag.length; p++) {
                int partition = p;
                added.add(Gauge.builder("diaspora.consumer.partition.lag", this, b -> b.partitionLag(name, partition))
                        .baseUnit("events").description("events stored and not yet delivered in the partition"
                                + " (NaN while the consumer does not hold it)")
                        .tags(tags.and("partition", Integer.toString(p))).register(registry));
            }
        }
        meters.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).addAll(added);
    }

    private void remove(ObjectName name) {
        List<Meter> list = meters.remove(name);
        if (list == null) {
            return;
        }
        for (Meter m : list) {
            for (MeterRegistry r : registries) {
                r.remove(m);
            }
        }
    }

    private static Tags tags(ObjectName name) {
        List<Tag> tags = new ArrayList<>();
        for (String key : new String[] {"driver", "topic", "name", "id"}) {
            String v = name.getKeyProperty(key);
            if (v != null) {
                tags.add(Tag.of(key, v.startsWith("\"") ? ObjectName.unquote(v) : v));
            }
        }
        return Tags.of(tags);
    }

    /** @return the attribute's value, NaN if the MBean is gone or cannot answer */
    private double read(ObjectName name, String attribute) {
        try {
            return ((Number) server.getAttribute(name, attribute)).doubleValue();
        } catch (JMException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private long[] readArray(ObjectName name, String attribute) {
        try {
            return (long[]) server.getAttribute(name, attribute);
        } catch (JMException | RuntimeException e) {
            return new long[0];
        }
    }

    private double partitionLag(ObjectName name, int partition) {
        long[] lag = readArray(name, "PartitionLag");
        return partition < lag.length && lag[partition] >= 0 ? lag[partition] : Double.NaN;
    }
}
