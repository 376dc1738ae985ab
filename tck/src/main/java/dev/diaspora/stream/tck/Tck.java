package dev.diaspora.stream.tck;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/** Small static helpers of the contracts: metadata, bytes, exception unwrapping, descriptions. Not API. */
final class Tck {
    /** The two data segments of the C++ DataSelectionTest (52 bytes). */
    static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
    static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private Tck() {
    }

    static Metadata md(String json) {
        return Metadata.of(json);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(DataView view) {
        return new String(view.toByteArray(), StandardCharsets.UTF_8);
    }

    /** @return the metadata field as a long, failing with the event's description if it is missing */
    static long field(Event e, String name) {
        var node = e.metadata().json().get(name);
        if (node == null || !node.canConvertToLong()) {
            throw new AssertionError("event " + describe(e) + " has no integer field '" + name + "'");
        }
        return node.longValue();
    }

    /** Unwraps {@link ExecutionException} and {@link CompletionException} layers. */
    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /**
     * @return true if {@code a} and {@code b} are the same JSON value, numbers compared as doubles (for drivers that
     *     re-write metadata text, see {@code Capabilities.metadataVerbatim})
     */
    static boolean sameJsonValue(com.fasterxml.jackson.databind.JsonNode a, com.fasterxml.jackson.databind.JsonNode b) {
        return a.equals((x, y) -> {
            if (x.isNumber() && y.isNumber()) {
                return Double.compare(x.doubleValue(), y.doubleValue()) == 0 || x.doubleValue() == y.doubleValue()
                        ? 0 : 1;
            }
            return x.equals(y) ? 0 : 1;
        }, b);
    }

    /** @return true if {@code t} or one of its causes is an instance of {@code type} */
    static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    static String describe(Event e) {
        if (e == null) {
            return "null";
        }
        String md;
        try {
            md = e.metadata().toString();
        } catch (RuntimeException x) {
            md = "<" + x + ">";
        }
        if (md.length() > 120) {
            md = md.substring(0, 120) + "...";
        }
        return "(partition " + e.partition() + ", id " + e.id() + ", metadata " + md + ", " + e.data().size()
                + " data bytes)";
    }

    static String describe(Collection<Event> events) {
        if (events.size() > 20) {
            return events.size() + " events, last " + describe(events.stream().skip(events.size() - 1).findFirst()
                    .orElse(null));
        }
        return events.stream().map(e -> e.partition() + ":" + e.id()).collect(Collectors.joining(" ", "[", "]"));
    }

    static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
