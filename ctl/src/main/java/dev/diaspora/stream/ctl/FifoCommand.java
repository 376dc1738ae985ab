package dev.diaspora.stream.ctl;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code diaspora-ctl fifo}: the C++ tool's daemon that bridges named pipes and topics, driven by commands written
 * into a control FIFO. One thread per FIFO.
 *
 * <p>Thread safety: the registry is guarded by {@code this}; each worker owns its FIFO.
 */
@Command(name = "fifo", mixinStandardHelpOptions = true, description = {"Bridge named pipes (FIFOs) and topics, "
    + "driven by commands written into a control FIFO, until SIGINT/SIGTERM.", "",
    "The daemon creates --control-file as a FIFO (replacing an existing FIFO there) and reads commands from it, one "
        + "per line:",
    "  <fifo> -> <topic> [(format=raw|json, batch_size=N)]        lines written into <fifo> become events",
    "  <fifo> <- <topic> [(format=raw|json|event, name=N, from=P, batch_size=N)]  events are written into <fifo>",
    "A producer FIFO is created if missing and lasts until shutdown (each writer's lines are flushed when it closes). "
        + "A consumer FIFO is created if missing; its consumer name defaults to 'fifo' followed by the FIFO's "
        + "absolute path with '/' replaced by '_', and events are acknowledged once written, so a restarted daemon "
        + "resumes. At shutdown producers are flushed, positions persisted, and the FIFOs the daemon made deleted."})
final class FifoCommand extends CtlCommand {
    private static final Logger LOG = LoggerFactory.getLogger(FifoCommand.class);
    private static final Duration WORKER_STOP = Duration.ofSeconds(10);

    @Mixin
    DriverOptions driver;

    @Option(names = "--control-file", required = true, paramLabel = "PATH",
            description = "The control FIFO to create and read commands from.")
    Path controlFile;

    private final Map<Path, FifoWorker> workers = new LinkedHashMap<>();
    private final Map<String, TopicHandle> topics = new HashMap<>();
    private Driver openDriver;
    private volatile String controlError;

    FifoCommand(CtlContext ctx) {
        super(ctx);
    }

    @Override
    Set<String> dottedPrefixes() {
        return Set.of("driver");
    }

    @Override
    int execute() throws IOException, InterruptedException {
        Path control = controlFile.toAbsolutePath().normalize();
        try (StopSignal stop = StopSignal.install(ctx); Driver d = driver.open(ctx)) {
            openDriver = d;
            if (control.getParent() != null) {
                Files.createDirectories(control.getParent());
            }
            if (Files.exists(control, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (!Fifos.isFifo(control)) {
                    throw new CtlException("--control-file: " + control + " exists and is not a FIFO; remove it or "
                            + "choose another path");
                }
                Files.delete(control);
            }
            Fifos.make(control);
            // read-write: on Linux that open does not wait for a writer, and the FIFO never reaches end of file
            FileChannel ch = FileChannel.open(control, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                Thread reader = new Thread(() -> {
                    readControl(ch);
                    stop.requestStop();
                }, "diaspora-ctl-fifo-control");
                reader.setDaemon(true);
                reader.start();
                LOG.info("Listening for commands on {}", control);
                boolean stopped = false;
                while (!stopped) {
                    stopped = stop.await(Duration.ofHours(1));
                }
                LOG.info("Stopping: flushing producers and persisting consumer positions");
                ch.close(); // ends the reader's blocked read
                reader.join(WORKER_STOP.toMillis());
            } finally {
                ch.close();
                shutdown();
                Files.deleteIfExists(control);
            }
        }
        if (controlError != null) {
            throw new CtlException("reading the control FIFO " + control + " failed: " + controlError);
        }
        LOG.info("Stopped");
        return 0;
    }

    private void readControl(FileChannel ch) {
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                ControlLine cmd = ControlLine.parse(line);
                if (cmd != null) {
                    try {
                        register(cmd);
                    } catch (RuntimeException | IOException e) {
                        LOG.error("Command '{}' failed: {}", line, DiasporaCtl.describe(e));
                    }
                }
            }
        } catch (ClosedChannelException closed) {
            LOG.debug("Control FIFO closed");
        } catch (IOException e) {
            controlError = DiasporaCtl.describe(e);
        }
    }

    private synchronized void register(ControlLine cmd) throws IOException {
        Path path = Path.of(cmd.path()).toAbsolutePath().normalize();
        if (workers.containsKey(path)) {
            LOG.warn("FIFO {} is already registered; ignoring '{} {} {}'", path, cmd.path(),
                    cmd.producer() ? "->" : "<-", cmd.topic());
            return;
        }
        boolean created = false;
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Fifos.make(path);
            created = true;
        } else if (!Fifos.isFifo(path)) {
            throw new CtlException(path + " exists and is not a FIFO");
        }
        Map<String, String> opts = new HashMap<>(cmd.options());
        TopicHandle topic = topics.get(cmd.topic());
        if (topic == null) {
            topic = openDriver.openTopic(cmd.topic());
            topics.put(cmd.topic(), topic);
        }
        BatchSize batch = BatchSize.adaptive();
        String bs = opts.remove("batch_size");
        if (bs != null) {
            try {
                batch = BatchSize.of(Integer.parseInt(bs));
            } catch (IllegalArgumentException e) {
                LOG.warn("Invalid batch_size '{}' for {}; using an adaptive batch size", bs, path);
            }
        }
        String format = opts.remove("format");
        FifoWorker worker;
        if (cmd.producer()) {
            boolean json = "json".equals(format);
            if (format != null && !json && !"raw".equals(format)) {
                LOG.warn("Invalid format '{}' for {}; using raw", format, path);
            }
            warnUnknown(opts, path);
            worker = new FifoProducer(path, created, topic.producer(ProducerOptions.named("diaspora-ctl-fifo")
                    .batchSize(batch)), json);
        } else {
            FifoConsumer.Format f = FifoConsumer.Format.raw;
            if (format != null) {
                try {
                    f = FifoConsumer.Format.valueOf(format);
                } catch (IllegalArgumentException e) {
                    LOG.warn("Invalid format '{}' for {}; using raw", format, path);
                }
            }
            String name = opts.remove("name");
            if (name == null) {
                name = "fifo" + path.toString().replace('/', '_');
            }
            String from = opts.remove("from");
            StartAt start = from == null ? StartAt.EARLIEST : ConsumeCommand.StartAtConverter.parse(from);
            warnUnknown(opts, path);
            Consumer consumer = topic.consumer(ConsumerOptions.named(name).startAt(start).batchSize(batch)
                    .dataSelector(DataSelector.NONE));
            worker = new FifoConsumer(path, created, consumer, f);
        }
        workers.put(path, worker);
        worker.start();
        LOG.info("{} {} {} registered", path, cmd.producer() ? "->" : "<-", cmd.topic());
    }

    private static void warnUnknown(Map<String, String> opts, Path path) {
        if (!opts.isEmpty()) {
            LOG.warn("Ignoring unknown options {} for {}", opts.keySet(), path);
        }
    }

    private synchronized void shutdown() throws InterruptedException {
        List<FifoWorker> all = new ArrayList<>(workers.values());
        for (FifoWorker w : all) {
            if (w instanceof FifoProducer) {
                w.stop(WORKER_STOP);
            }
        }
        for (FifoWorker w : all) {
            if (!(w instanceof FifoProducer)) {
                w.stop(WORKER_STOP);
            }
        }
        for (FifoWorker w : all) {
            w.release();
            if (w.created) {
                try {
                    Files.deleteIfExists(w.path);
                } catch (IOException e) {
                    LOG.warn("Cannot remove {}: {}", w.path, DiasporaCtl.describe(e));
                }
            }
        }
        workers.clear();
        for (TopicHandle t : topics.values()) {
            t.close();
        }
        topics.clear();
    }
}
