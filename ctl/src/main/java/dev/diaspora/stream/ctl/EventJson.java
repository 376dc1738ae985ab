package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * The one-line JSON form of an event that {@code consume} prints and that {@code forward} transforms read:
 *
 * <pre>{"partition":0,"id":3,"timestamp":"2026-01-01T00:00:00Z","metadata":{...},"data_size":5,"data":"aGVsbG8="}</pre>
 *
 * The metadata is the stored JSON text, verbatim (line breaks turned into spaces). {@code data_size} and
 * {@code data} (standard base64) appear only when data was read; {@code data_file} replaces {@code data} when data is
 * written to a directory.
 *
 * <p>Thread safety: stateless.
 */
final class EventJson {
    private EventJson() {
    }

    /**
     * @param e the event
     * @param withData whether to add {@code data_size} and {@code data}
     * @param dataFile the file the data was written to, or null
     */
    static String line(Event e, boolean withData, String dataFile) {
        StringBuilder b = new StringBuilder(128 + e.metadata().size());
        b.append("{\"partition\":").append(e.partition()).append(",\"id\":").append(e.id())
                .append(",\"timestamp\":\"").append(e.timestamp()).append("\",\"metadata\":")
                .append(Output.compact(e.metadata()));
        if (withData || dataFile != null) {
            b.append(",\"data_size\":").append(e.data().size());
        }
        if (withData) {
            b.append(",\"data\":\"").append(base64(e.data())).append('"');
        }
        if (dataFile != null) {
            b.append(",\"data_file\":").append(quote(dataFile));
        }
        return b.append('}').toString();
    }

    /** @return the metadata as the C++ fifo consumer writes it: a JSON string bare, anything else as JSON */
    static String raw(Metadata md) {
        String text = Output.compact(md);
        if (text.startsWith("\"") || text.trim().startsWith("\"")) {
            JsonNode node = md.json();
            if (node.isTextual()) {
                return node.textValue();
            }
        }
        return text;
    }

    static String base64(DataView data) {
        if (data.isEmpty()) {
            return "";
        }
        if (data.segmentCount() == 1 && data.segment(0).hasArray()) {
            ByteBuffer s = data.segment(0);
            byte[] whole = s.array();
            int off = s.arrayOffset() + s.position();
            if (off == 0 && s.remaining() == whole.length) {
                return Base64.getEncoder().encodeToString(whole);
            }
        }
        return Base64.getEncoder().encodeToString(data.toByteArray());
    }

    static String quote(String s) {
        try {
            return JsonConfig.MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
