package dev.diaspora.stream.internal.engine;

import static dev.diaspora.stream.internal.metrics.MetricsMBean.Metric.ofLong;

import dev.diaspora.stream.ConsumerMetrics;
import dev.diaspora.stream.ProducerMetrics;
import dev.diaspora.stream.internal.metrics.JmxRegistration;
import dev.diaspora.stream.internal.metrics.LatencyHistogram;
import dev.diaspora.stream.internal.metrics.MetricsMBean;
import dev.diaspora.stream.internal.metrics.MetricsMBean.Metric;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MBeans of drivers, producers and consumers: which attributes each has, their units, and their names
 * (documented in {@code docs/metrics.md}). Every value is read from the object's counters when JMX asks. Not API.
 *
 * <p>Thread safety: stateless.
 */
final class EngineMBeans {
    static final String EVENTS = "events";
    static final String BYTES = "bytes";
    static final String NANOS = "nanoseconds";

    private EngineMBeans() {
    }

    static JmxRegistration driver(DriverImpl driver) {
        MetricsMBean bean = new MetricsMBean("driver '" + driver.name() + "'", List.of(
                ofLong("OpenTopics", "topics", "topic handles open", driver::openTopics),
                ofLong("OpenProducers", "producers", "producers open on its topic handles",
                        () -> driver.openChildren(ProducerImpl.class)),
                ofLong("OpenConsumers", "consumers", "consumers open on its topic handles",
                        () -> driver.openChildren(ConsumerImpl.class))));
        return JmxRegistration.register("Driver", Map.of("driver", driver.name()), bean);
    }

    static JmxRegistration producer(TopicHandleImpl topic, ProducerImpl producer) {
        MetricsMBean bean = new MetricsMBean("producer '" + producer.name() + "' of topic '" + topic.name() + "'",
                concat(List.of(
                        ofLong("EventsPushed", EVENTS, "events accepted by push", () -> m(producer).eventsPushed()),
                        ofLong("EventsStored", EVENTS, "events whose push completed successfully",
                                () -> m(producer).eventsStored()),
                        ofLong("EventsFailed", EVENTS, "events whose push failed", () -> m(producer).eventsFailed()),
                        ofLong("BytesStored", BYTES, "metadata plus data bytes of stored events",
                                () -> m(producer).bytesStored()),
                        ofLong("BatchesSent", "batches", "batches handed to the driver",
                                () -> m(producer).batchesSent()),
                        ofLong("PendingEvents", EVENTS, "events pushed and not yet completed",
                                () -> m(producer).pendingEvents()),
                        ofLong("PendingBytes", BYTES, "bytes pushed and not yet completed",
                                () -> m(producer).pendingBytes()),
                        ofLong("BackPressureTime", NANOS, "total time push spent blocked at the memory bound",
                                () -> m(producer).backPressureNanos())),
                latency("Push", "stored events", "push latency (from push to stored)", producer.pushLatency())));
        return JmxRegistration.register("Producer", keys(topic, producer.name()), bean);
    }

    static JmxRegistration consumer(TopicHandleImpl topic, ConsumerImpl consumer) {
        MetricsMBean bean = new MetricsMBean("consumer '" + consumer.name() + "' of topic '" + topic.name() + "'",
                concat(List.of(
                        ofLong("EventsDelivered", EVENTS, "events handed to the application",
                                () -> m(consumer).eventsDelivered()),
                        ofLong("BytesDelivered", BYTES, "selected data bytes of the delivered events",
                                () -> m(consumer).bytesDelivered()),
                        ofLong("BatchesFetched", "batches", "batches read from the driver",
                                () -> m(consumer).batchesFetched()),
                        ofLong("PrefetchedEvents", EVENTS, "events read ahead and not yet delivered",
                                () -> m(consumer).prefetchedEvents()),
                        ofLong("PrefetchedBytes", BYTES, "bytes read ahead and not yet delivered",
                                () -> m(consumer).prefetchedBytes()),
                        ofLong("EventsSkipped", EVENTS, "unreadable events skipped", () -> m(consumer).eventsSkipped()),
                        ofLong("EventsLost", EVENTS, "event ids the driver reported lost",
                                () -> m(consumer).eventsLost()),
                        ofLong("EventsExpired", EVENTS, "event ids passed over because retention had dropped them",
                                () -> m(consumer).eventsExpired()),
                        ofLong("Lag", EVENTS, "events stored and not yet delivered, summed over the partitions held",
                                () -> ConsumerLag.total(topic, consumer)),
                        new Metric("PartitionLag", long[].class, EVENTS,
                                "lag of each partition, indexed by partition; -1 for a partition not held",
                                () -> ConsumerLag.perPartition(topic, consumer))),
                latency("Poll", "delivered events", "poll latency (a pull's wait for its event, 0 if it was ready)",
                        consumer::pollLatency)));
        return JmxRegistration.register("Consumer", keys(topic, consumer.name()), bean);
    }

    /** The attributes of a latency histogram, named {@code <prefix>LatencyCount}, {@code P50}, ... {@code Max}. */
    private static List<Metric> latency(String prefix, String counted, String what, LatencyHistogram h) {
        return latency(prefix, counted, what, () -> h);
    }

    /**
     * As {@link #latency(String, String, String, LatencyHistogram)}, for a histogram read through {@code h} at each
     * read, which brings it up to date first (the consumer adds its ready pulls in bulk).
     */
    private static List<Metric> latency(String prefix, String counted, String what,
            java.util.function.Supplier<LatencyHistogram> h) {
        return List.of(
                ofLong(prefix + "LatencyCount", EVENTS, counted + " whose " + what + " was recorded",
                        () -> h.get().count()),
                ofLong(prefix + "LatencyP50", NANOS, "median " + what + ", since it opened",
                        () -> h.get().percentileNanos(0.50)),
                ofLong(prefix + "LatencyP90", NANOS, "90th percentile of the " + what,
                        () -> h.get().percentileNanos(0.90)),
                ofLong(prefix + "LatencyP99", NANOS, "99th percentile of the " + what,
                        () -> h.get().percentileNanos(0.99)),
                ofLong(prefix + "LatencyMax", NANOS, "largest " + what + " (upper edge of its bucket)",
                        () -> h.get().percentileNanos(1.0)));
    }

    private static List<Metric> concat(List<Metric> a, List<Metric> b) {
        List<Metric> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static Map<String, String> keys(TopicHandleImpl topic, String name) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("driver", topic.driver().name());
        keys.put("topic", topic.name());
        keys.put("name", name);
        return keys;
    }

    private static ProducerMetrics m(ProducerImpl p) {
        return p.metrics();
    }

    /** The counters without the lag: each attribute read would otherwise ask the driver for every partition's end. */
    private static ConsumerMetrics m(ConsumerImpl c) {
        return c.counters(0);
    }
}
