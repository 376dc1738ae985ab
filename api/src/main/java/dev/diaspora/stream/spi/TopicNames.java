package dev.diaspora.stream.spi;

import dev.diaspora.stream.TopicNotFoundException;
import java.util.Objects;

/**
 * The one topic-name rule of every driver, applied by the engine before a name reaches a {@link Backend}, and by
 * servers that take names from the network (a partition server must not trust its clients to have checked).
 *
 * <p>A topic name is 1 to 200 characters among letters, digits, {@code '.'}, {@code '_'} and {@code '-'}, and does
 * not start with {@code '.'} or {@code "__"}. The reserved prefixes are where drivers keep their own entries, out of
 * reach of any topic: the {@code files} driver's {@code .tmp-*} (topics being created, removed after an hour) and
 * {@code .deleted-*} (topics being deleted, removed on every open) directories, and Kafka's internal topics
 * ({@code __consumer_offsets}, the {@code kafka} driver's {@code __diaspora_topics} registry). A name is therefore
 * always a single path component and never an internal entry, and a topic can move between drivers.
 *
 * <p>Thread safety: stateless.
 */
public final class TopicNames {
    /** The longest topic name. */
    public static final int MAX_LENGTH = 200;

    private TopicNames() {
    }

    /** @return null if {@code name} is a valid topic name, else what is wrong with it (without the name) */
    public static String problem(String name) {
        if (name == null) {
            return "it is null";
        }
        if (name.isEmpty() || name.length() > MAX_LENGTH) {
            return "it has " + name.length() + " characters; use 1 to " + MAX_LENGTH;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                    || c == '-')) {
                return "it holds the character " + (c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c)
                        : "'" + c + "'") + " at index " + i + "; use letters, digits, '.', '_' and '-'";
            }
        }
        if (name.charAt(0) == '.') {
            return "it starts with '.', which is reserved for the drivers' own files (the files driver's .tmp-* and"
                    + " .deleted-* directories); start it with a letter, a digit, '-' or a single '_'";
        }
        if (name.startsWith("__")) {
            return "it starts with '__', which is reserved for internal topics (Kafka's __consumer_offsets, the"
                    + " kafka driver's __diaspora_topics registry); start it with a letter, a digit, '-' or a single"
                    + " '_'";
        }
        return null;
    }

    /**
     * Checks a topic name.
     *
     * @throws IllegalArgumentException naming the topic and saying what is wrong and what to use instead
     * @throws NullPointerException if {@code name} is null
     */
    public static void check(String name) {
        Objects.requireNonNull(name, "topic name");
        String problem = problem(name);
        if (problem != null) {
            throw new IllegalArgumentException("Invalid topic name '" + name + "': " + problem + ". A topic name is 1"
                    + " to " + MAX_LENGTH + " characters among letters, digits, '.', '_' and '-', not starting with"
                    + " '.' or '__'");
        }
    }

    /**
     * The error of every operation on a handle whose topic was deleted, or deleted and created again, since the
     * handle opened it (a topic's <em>incarnation</em>: a re-created topic is a new topic).
     *
     * @param name the topic name
     * @param detail how the driver found out (for example the file whose identity changed), or null
     * @return the exception to throw or to fail a future with
     */
    public static TopicNotFoundException deleted(String name, String detail) {
        return new TopicNotFoundException("Topic '" + name + "' was deleted, or deleted and created again, after this"
                + " handle opened it" + (detail == null ? "" : " (" + detail + ")") + "; this operation was not"
                + " carried out. Close this handle with its producers and consumers, and open the topic again with"
                + " openTopic(\"" + name + "\") if it exists (a re-created topic is a new topic: its events and"
                + " positions start afresh)");
    }
}
