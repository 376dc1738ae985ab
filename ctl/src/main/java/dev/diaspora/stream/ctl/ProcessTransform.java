package dev.diaspora.stream.ctl;

import dev.diaspora.stream.Event;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mode: event}: one process per event (the Stream Management Framework's "single" operations). The event's
 * line is written to the command's stdin, which is then closed; the command's whole stdout is the result. Exit status
 * 0 is required.
 *
 * <p>Thread safety: confined to the policy's worker thread.
 */
final class ProcessTransform implements Transform {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessTransform.class);

    private final ForwardConfig.TransformSpec spec;
    private final String label;
    private final ExecutorService io;

    ProcessTransform(ForwardConfig.TransformSpec spec, String label) {
        this.spec = spec;
        this.label = label;
        this.io = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "diaspora-ctl-transform-io");
            t.setDaemon(true);
            return t;
        });
    }

    static ProcessBuilder builder(ForwardConfig.TransformSpec spec) {
        ProcessBuilder pb = new ProcessBuilder(spec.command());
        pb.environment().putAll(spec.env());
        if (spec.cwd() != null) {
            pb.directory(spec.cwd().toFile());
        }
        return pb;
    }

    @Override
    public List<Output> apply(Event e) throws IOException, InterruptedException {
        byte[] input = (Transform.input(e, spec.data()) + "\n").getBytes(StandardCharsets.UTF_8);
        Process p = builder(spec).start();
        try {
            io.submit(() -> Transform.logLines(p.getErrorStream(), LOG, label));
            io.submit(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(input);
                } catch (IOException ignored) {
                    // the command may exit without reading its input
                }
            });
            Future<byte[]> stdout = io.submit(() -> p.getInputStream().readAllBytes());
            byte[] out;
            try {
                out = stdout.get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException t) {
                throw new CtlException("transform did not answer within " + spec.timeout().toMillis() + " ms for event "
                        + e.partition() + ":" + e.id());
            } catch (ExecutionException x) {
                throw new IOException("reading the transform's output: " + x.getCause(), x.getCause());
            }
            if (!p.waitFor(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new CtlException("transform did not exit within " + spec.timeout().toMillis() + " ms");
            }
            if (p.exitValue() != 0) {
                throw new CtlException("transform exited with status " + p.exitValue() + " for event "
                        + e.partition() + ":" + e.id());
            }
            return Transform.parseAll(out);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
