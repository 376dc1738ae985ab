package dev.diaspora.stream.ctl;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl forward --config F.yaml}: copies events (metadata and data) from topics to topics, possibly
 * through a transform, one worker thread per policy, until SIGINT/SIGTERM; then flushes and commits.
 *
 * <p>Thread safety: confined to the command's thread; workers report failures through a callback.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, description = {"Forward events (metadata and data) "
    + "from source topics to destination topics, as the YAML file's policies say, until SIGINT/SIGTERM.", "",
    "One worker per policy, consuming under the policy's consumer name (default '<alias>:<topic>-><alias>:<topic>') "
        + "and acknowledging an event only once what was made from it is stored: a restart resumes where it "
        + "stopped. Transient (retriable) errors are retried. A policy may run each event through a command "
        + "(transform); see ctl/README.md for the YAML schema and the transform protocol.",
    "Exit status 0 after a clean stop; 1 if a driver, topic or policy failed (the other policies are stopped and "
        + "flushed first)."})
final class ForwardCommand extends CtlCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardCommand.class);
    private static final Duration WORKER_STOP = Duration.ofSeconds(60);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The YAML file.")
    Path config;

    ForwardCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    int execute() throws InterruptedException {
        ForwardConfig cfg = ForwardConfig.read(config);
        Map<String, Driver> drivers = new LinkedHashMap<>();
        Map<String, TopicHandle> topics = new LinkedHashMap<>();
        List<ForwardWorker> workers = new ArrayList<>();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (StopSignal stop = StopSignal.install(ctx); Progress progress = Progress.onTerminal("forward", -1)) {
            try {
                for (ForwardConfig.DriverSpec d : cfg.drivers.values()) {
                    try {
                        drivers.put(d.alias(), Driver.open(d.type(), Metadata.of(d.options())));
                    } catch (RuntimeException e) {
                        throw new CtlException("driver '" + d.alias() + "': " + DiasporaCtl.describe(e), e);
                    }
                }
                for (ForwardConfig.Policy p : cfg.policies) {
                    TopicHandle src = topic(topics, drivers, p.from());
                    TopicHandle dst = topic(topics, drivers, p.to());
                    workers.add(new ForwardWorker(p, src, dst, progress, e -> {
                        if (failure.compareAndSet(null, e)) {
                            LOG.error("{}", e.getMessage());
                        }
                        stop.requestStop();
                    }));
                }
                for (ForwardWorker w : workers) {
                    w.start();
                }
                boolean stopped = false;
                while (!stopped) {
                    stopped = stop.await(Duration.ofHours(1));
                }
                LOG.info("Stopping: flushing and committing {} policies", workers.size());
                for (ForwardWorker w : workers) {
                    w.stop(WORKER_STOP);
                }
            } finally {
                for (TopicHandle t : topics.values()) {
                    t.close();
                }
                for (Driver d : drivers.values()) {
                    d.close();
                }
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return 0;
    }

    private static TopicHandle topic(Map<String, TopicHandle> topics, Map<String, Driver> drivers,
            ForwardConfig.Endpoint e) {
        TopicHandle t = topics.get(e.toString());
        if (t == null) {
            try {
                t = drivers.get(e.alias()).openTopic(e.topic());
            } catch (RuntimeException x) {
                throw new CtlException(e + ": " + DiasporaCtl.describe(x), x);
            }
            topics.put(e.toString(), t);
        }
        return t;
    }
}
