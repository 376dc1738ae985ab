package dev.diaspora.stream.ctl;

import dev.diaspora.stream.BackPressureException;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker of one {@code forward} policy: pulls events (metadata and data) from the source topic under the
 * policy's consumer name, runs the transform if any, pushes the results to the destination, and acknowledges a source
 * event only once every event made from it is stored. So a stop or a crash loses nothing; a crash (not a clean stop)
 * may forward some events twice.
 *
 * <p>Pushes are asynchronous, with at most {@link #MAX_IN_FLIGHT} source events outstanding; acknowledgements follow
 * source order. A push or read failure that {@link DiasporaException#isRetriable()} is retried with backoff (100 ms
 * doubling to 5 s) until it succeeds, or for at most {@link #RETRY_AFTER_STOP} once a stop is requested. After a
 * retried failure, events that were in flight behind it may reach the destination out of order. A permanent failure
 * (or a transform failure) stops the policy, unless its {@code on_error} is {@code skip}: then the event is logged,
 * acknowledged and dropped.
 *
 * <p>On stop: the producer is flushed, every completed event acknowledged, and the positions committed.
 *
 * <p>Thread safety: {@link #start} and {@link #stop} from the command's thread; everything else on the worker's
 * thread.
 */
final class ForwardWorker implements Runnable {
    static final int MAX_IN_FLIGHT = 4096;
    static final Duration RETRY_AFTER_STOP = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(ForwardWorker.class);

    /** A source event and the pushes made from it. */
    private record InFlight(Event source, List<Transform.Output> outputs, List<CompletableFuture<Long>> pushes) {
    }

    /** Thrown inside the worker when a stop interrupts a retry: nothing is wrong. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("stopped", null, false, false);
        }
    }

    private final ForwardConfig.Policy policy;
    private final TopicHandle source;
    private final TopicHandle destination;
    private final java.util.function.Consumer<RuntimeException> onFailure;
    private final ArrayDeque<InFlight> window = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long stopRequestedAt;
    private Producer producer;
    private long forwarded;
    private long dropped;
    private final Progress progress;

    ForwardWorker(ForwardConfig.Policy policy, TopicHandle source, TopicHandle destination, Progress progress,
            java.util.function.Consumer<RuntimeException> onFailure) {
        this.progress = progress;
        this.policy = policy;
        this.source = source;
        this.destination = destination;
        this.onFailure = onFailure;
        this.thread = new Thread(this, "diaspora-ctl-forward-" + policy.index());
    }

    void start() {
        thread.start();
    }

    /** Requests the stop (flush, acknowledge, commit) and waits for it at most {@code timeout}. */
    void stop(Duration timeout) throws InterruptedException {
        if (!stopping) {
            stopRequestedAt = System.nanoTime();
            stopping = true;
        }
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            LOG.warn("{} did not stop within {}", policy.label(), timeout);
        }
    }

    @Override
    public void run() {
        String label = policy.label();
        Transform transform = null;
        try (Consumer consumer = source.consumer(ConsumerOptions.named(policy.name()).startAt(policy.startAt()));
                Producer p = destination.producer(ProducerOptions.named("diaspora-ctl-forward"))) {
            producer = p;
            if (policy.transform() != null) {
                transform = Transform.of(policy.transform(), label);
            }
            LOG.info("{} started as consumer '{}' on partitions {}", label, policy.name(), consumer.assignment());
            try {
                loop(consumer, transform);
                p.flush().exceptionally(err -> null).join();
                drain(true);
                consumer.commit().join();
            } catch (Stopped s) {
                LOG.warn("{}: stopped while retrying; unacknowledged events will be forwarded again", label);
            } catch (RuntimeException | IOException | InterruptedException e) {
                try {
                    drain(false);
                } catch (RuntimeException | InterruptedException ignored) {
                    // keep the first failure
                }
                throw e;
            }
            LOG.info("{} stopped after {} source events ({} dropped by the transform)", label, forwarded, dropped);
        } catch (Stopped s) {
            LOG.warn("{}: stopped", label);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            onFailure.accept(new CtlException(label + " failed: " + DiasporaCtl.describe(e), e));
        } finally {
            if (transform != null) {
                transform.close();
            }
        }
    }

    private void loop(Consumer consumer, Transform transform) throws IOException, InterruptedException {
        long backoff = 0;
        while (!stopping) {
            drain(window.size() >= MAX_IN_FLIGHT);
            Optional<Event> polled;
            try {
                polled = consumer.poll(POLL);
                backoff = 0;
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    throw e;
                }
                backoff = nextBackoff(backoff);
                LOG.warn("{}: reading failed ({}); retrying in {} ms", policy.label(), e.getMessage(), backoff);
                sleep(backoff);
                continue;
            }
            if (polled.isEmpty()) {
                continue;
            }
            Event e = polled.get();
            if (e.isNoMoreEvents()) {
                return;
            }
            List<Transform.Output> outputs;
            if (transform == null) {
                outputs = List.of(new Transform.Output(e.metadata(), null));
            } else {
                try {
                    outputs = transform.apply(e);
                } catch (CtlException x) {
                    if (stopping) {
                        throw new Stopped();
                    }
                    if (!policy.skipErrors()) {
                        throw x;
                    }
                    LOG.warn("{}: skipping event {}:{}: {}", policy.label(), e.partition(), e.id(), x.getMessage());
                    outputs = List.of();
                } catch (IllegalStateException | IOException x) {
                    if (stopping) {
                        throw new Stopped();
                    }
                    throw x;
                }
            }
            List<CompletableFuture<Long>> pushes = new ArrayList<>(outputs.size());
            for (Transform.Output o : outputs) {
                pushes.add(push(o, e));
            }
            if (outputs.isEmpty()) {
                dropped++;
            }
            window.add(new InFlight(e, outputs, pushes));
        }
    }

    private CompletableFuture<Long> push(Transform.Output o, Event e) throws InterruptedException {
        DataView data = o.data() == null ? e.data() : o.data();
        long backoff = 0;
        while (true) {
            try {
                return producer.push(o.metadata(), data);
            } catch (DiasporaException x) {
                if (!(x instanceof BackPressureException) && !x.isRetriable()) {
                    throw x;
                }
                backoff = nextBackoff(backoff);
                LOG.warn("{}: push failed ({}); retrying in {} ms", policy.label(), x.getMessage(), backoff);
                sleep(backoff);
            }
        }
    }

    /** Acknowledges completed source events in order; with {@code wait}, waits for all of them. */
    private void drain(boolean wait) throws InterruptedException {
        while (!window.isEmpty()) {
            InFlight head = window.peek();
            for (int i = 0; i < head.pushes().size(); i++) {
                CompletableFuture<Long> f = head.pushes().get(i);
                if (!f.isDone() && !wait) {
                    return;
                }
                try {
                    f.get();
                } catch (ExecutionException x) {
                    Throwable err = DiasporaCtl.unwrap(x);
                    if (err instanceof DiasporaException d && d.isRetriable()) {
                        long backoff = 100;
                        LOG.warn("{}: event from {}:{} failed ({}); pushing it again", policy.label(),
                                head.source().partition(), head.source().id(), d.getMessage());
                        sleep(backoff);
                        head.pushes().set(i, push(head.outputs().get(i), head.source()));
                        i--;
                        continue;
                    }
                    if (!policy.skipErrors()) {
                        throw new CtlException("the destination rejected the event from " + head.source().partition()
                                + ":" + head.source().id() + ": " + DiasporaCtl.describe(err), err);
                    }
                    LOG.warn("{}: skipping event {}:{}: {}", policy.label(), head.source().partition(),
                            head.source().id(), DiasporaCtl.describe(err));
                }
            }
            window.poll();
            long size = head.source().metadata().size() + head.source().data().size();
            head.source().acknowledge();
            forwarded++;
            progress.add(1, size);
        }
    }

    private static long nextBackoff(long backoff) {
        return backoff == 0 ? 100 : Math.min(5000, backoff * 2);
    }

    private void sleep(long millis) throws InterruptedException {
        if (stopping && System.nanoTime() - stopRequestedAt > RETRY_AFTER_STOP.toNanos()) {
            throw new Stopped();
        }
        Thread.sleep(millis);
    }
}
