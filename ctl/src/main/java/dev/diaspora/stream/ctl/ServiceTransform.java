package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.Event;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mode: service}: one long-running process (the Stream Management Framework's "service" operations). Each
 * event is written as one line to its stdin; it must answer with exactly one line per event, in order, and flush it
 * ({@code jq --unbuffered}, {@code python -u}, {@code fflush}). A process that exits or stays silent past the timeout
 * fails the policy.
 *
 * <p>Thread safety: confined to the policy's worker thread (plus one thread each for stdout and stderr).
 */
final class ServiceTransform implements Transform {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceTransform.class);
    /** Queued when stdout ends; compared by identity, so no output line can be mistaken for it. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String EOF = new String("<eof>");

    private final ForwardConfig.TransformSpec spec;
    private final Process process;
    private final BufferedWriter stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    ServiceTransform(ForwardConfig.TransformSpec spec, String label) throws IOException {
        this.spec = spec;
        this.process = ProcessTransform.builder(spec).start();
        this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        Thread err = new Thread(() -> Transform.logLines(process.getErrorStream(), LOG, label),
                "diaspora-ctl-service-stderr");
        err.setDaemon(true);
        err.start();
        Thread out = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (!line.isBlank()) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                LOG.debug("[{} transform] stdout: {}", label, e.toString());
            } finally {
                lines.add(EOF);
            }
        }, "diaspora-ctl-service-stdout");
        out.setDaemon(true);
        out.start();
        LOG.info("[{}] transform service started (pid {})", label, process.pid());
    }

    @Override
    public List<Output> apply(Event e) throws IOException, InterruptedException {
        try {
            stdin.write(Transform.input(e, spec.data()));
            stdin.write('\n');
            stdin.flush();
        } catch (IOException x) {
            throw new IllegalStateException("the transform service is not reading its input (" + x.getMessage()
                    + ")" + exitStatus(), x);
        }
        String line = lines.poll(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
            throw new IllegalStateException("the transform service did not answer within "
                    + spec.timeout().toMillis() + " ms (does it flush each output line?)");
        }
        if (line == EOF) {
            lines.add(EOF);
            throw new IllegalStateException("the transform service closed its output" + exitStatus());
        }
        JsonNode node;
        try {
            node = JsonConfig.MAPPER.readTree(line);
        } catch (JsonProcessingException x) {
            throw new CtlException("transform output line is not JSON: " + Transform.abbreviate(line));
        }
        List<Output> out = new ArrayList<>();
        Transform.parse(node, out);
        return out;
    }

    private String exitStatus() {
        try {
            if (process.waitFor(200, TimeUnit.MILLISECONDS)) {
                return "; it exited with status " + process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
