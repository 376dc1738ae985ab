package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;

/**
 * A {@code forward} policy's transform: an external command that turns each event into zero, one or more events.
 * The protocol is in ctl/README.md:
 *
 * <ul>
 *   <li>Input: the event as one line of JSON, the line {@code consume --data base64} prints:
 *       <code>{"partition":P,"id":N,"timestamp":"...","metadata":{...},"data_size":S,"data":"base64"}</code>
 *       ({@code data_size} and {@code data} only with {@code data: true}).</li>
 *   <li>Output, per input event: an object <code>{"metadata": ..., "data": "base64"}</code> (one event), an array of
 *       such objects (zero or more events), or {@code null} (none). {@code metadata} is required; without a
 *       {@code data} key the input event's data is forwarded unchanged; {@code "data": null} forwards no data.</li>
 *   <li>The command's stderr goes to the log (info level), never into the stream.</li>
 * </ul>
 *
 * <p>Thread safety: confined to the policy's worker thread.
 */
interface Transform extends AutoCloseable {
    /** One output event: {@code data} null means "the input event's data". */
    record Output(Metadata metadata, DataView data) {
    }

    /**
     * @return the events to forward in place of {@code e}, possibly none
     * @throws CtlException if the command failed for this event (bad status, bad output, timeout); with a service, a
     *     failure to run is {@link IllegalStateException}
     */
    List<Output> apply(Event e) throws IOException, InterruptedException;

    @Override
    void close();

    /** Builds the transform a policy asks for. */
    static Transform of(ForwardConfig.TransformSpec spec, String label) throws IOException {
        return spec.mode() == ForwardConfig.Mode.service ? new ServiceTransform(spec, label)
                : new ProcessTransform(spec, label);
    }

    /** @return the input line for {@code e} */
    static String input(Event e, boolean withData) {
        return EventJson.line(e, withData, null);
    }

    /**
     * Parses one result (object, array of objects, or null) into {@code out}.
     *
     * @throws CtlException naming what is wrong
     */
    static void parse(JsonNode node, List<Output> out) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return;
        }
        if (node.isArray()) {
            for (JsonNode n : node) {
                parse1(n, out);
            }
        } else {
            parse1(node, out);
        }
    }

    private static void parse1(JsonNode n, List<Output> out) {
        if (!n.isObject() || !n.has("metadata")) {
            throw new CtlException("transform output must be {\"metadata\": ..., \"data\": \"base64\"}, an array of "
                    + "them, or null; got " + abbreviate(DiasporaCtl.oneLine(n.toString())));
        }
        DataView data = null;
        JsonNode d = n.get("data");
        if (d != null) {
            if (d.isNull()) {
                data = DataView.EMPTY;
            } else if (d.isTextual()) {
                try {
                    byte[] bytes = Base64.getDecoder().decode(d.textValue());
                    data = bytes.length == 0 ? DataView.EMPTY : DataView.of(bytes);
                } catch (IllegalArgumentException e) {
                    throw new CtlException("transform output: 'data' is not valid base64: " + e.getMessage());
                }
            } else {
                throw new CtlException("transform output: 'data' must be a base64 string or null");
            }
        }
        out.add(new Output(Metadata.of(n.get("metadata")), data));
    }

    /** Parses every JSON value in {@code stdout} (whitespace-separated). */
    static List<Output> parseAll(byte[] stdout) {
        List<Output> out = new ArrayList<>();
        try (JsonParser p = JsonConfig.MAPPER.getFactory().createParser(stdout);
                MappingIterator<JsonNode> it = JsonConfig.MAPPER.readValues(p, JsonNode.class)) {
            while (it.hasNextValue()) {
                parse(it.nextValue(), out);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof CtlException c) {
                throw c;
            }
            throw new CtlException("transform output is not JSON: " + abbreviate(DiasporaCtl.oneLine(
                    e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                            : String.valueOf(e.getMessage()))));
        }
        return out;
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /** Copies the command's stderr, line by line, to the log. */
    static void logLines(InputStream stderr, Logger log, String label) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                log.info("[{} transform] {}", label, line);
            }
        } catch (IOException e) {
            log.debug("[{} transform] stderr: {}", label, e.toString());
        }
    }
}
