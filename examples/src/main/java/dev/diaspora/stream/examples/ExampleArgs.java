package dev.diaspora.stream.examples;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The command line of the examples: {@code --topic name} and {@code --events n} for all of them, plus the flags of
 * one example (each takes one value). A missing value, an unknown flag or a bad number fails with the usage line.
 *
 * <p>Thread safety: not thread-safe; build, parse and read it on one thread.
 */
public final class ExampleArgs {
    private final String usage;
    private final Map<String, Consumer<String>> flags = new LinkedHashMap<>();
    private String topic = "diaspora-example";
    private int events;

    /**
     * @param usage the usage line shown with every error
     * @param defaultEvents the number of events without {@code --events}
     */
    public ExampleArgs(String usage, int defaultEvents) {
        this.usage = usage;
        this.events = defaultEvents;
        flags.put("--topic", v -> topic = v);
        flags.put("--events", v -> events = positive(v));
    }

    /** Sets the topic name used without {@code --topic}. @return this */
    public ExampleArgs defaultTopic(String name) {
        topic = name;
        return this;
    }

    /** Adds a flag of this example; {@code action} receives its value. @return this */
    public ExampleArgs flag(String name, Consumer<String> action) {
        flags.put(name, action);
        return this;
    }

    /** Applies {@code args}. @return this */
    public ExampleArgs parse(String[] args) {
        for (int i = 0; i < args.length; i += 2) {
            Consumer<String> action = flags.get(args[i]);
            if (action == null) {
                throw new IllegalArgumentException("unknown argument " + args[i] + "; " + usage);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value; " + usage);
            }
            action.accept(args[i + 1]);
        }
        return this;
    }

    /** @throws IllegalArgumentException with the usage line if {@code value} is null (a required flag is missing) */
    public <T> T require(T value, String flag) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " is required; " + usage);
        }
        return value;
    }

    /** @return the topic name ({@code --topic}, default {@code diaspora-example}) */
    public String topic() {
        return topic;
    }

    /** @return the number of events ({@code --events}) */
    public int events() {
        return events;
    }

    private int positive(String v) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--events needs a positive number, got '" + v + "'; " + usage);
    }
}
