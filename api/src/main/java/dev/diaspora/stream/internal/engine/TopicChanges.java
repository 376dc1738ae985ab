package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicOptions;
import dev.diaspora.stream.spi.DriverProvider;
import dev.diaspora.stream.spi.Options;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks of {@code Driver.alterTopic} and {@code Driver.addPartitions} made before a driver is asked: what the
 * driver declares it can change ({@link dev.diaspora.stream.spi.Capabilities}), and that partitions only grow. Not
 * API.
 *
 * <p>Thread safety: stateless.
 */
final class TopicChanges {
    private TopicChanges() {
    }

    /**
     * @return the options to change, validated, without defaults
     * @throws UnsupportedOperationException if the driver can change no option
     * @throws InvalidOptionException naming the options fixed at creation, or an invalid value
     */
    static Options options(DriverProvider provider, String topic, Metadata options) {
        Set<String> alterable = provider.capabilities().alterableOptions();
        if (alterable.isEmpty()) {
            throw new UnsupportedOperationException("The '" + provider.name() + "' driver cannot change the options of"
                    + " topic '" + topic + "' after creation (its Capabilities.alterableOptions() is empty). Create a new"
                    + " topic with the options you need and move the events with 'diaspora-ctl forward'");
        }
        Options changes = provider.topicOptions().validateChanges(options, "topic '" + topic + "'");
        List<String> fixed = new ArrayList<>();
        List<String> given = new ArrayList<>();
        for (Iterator<String> it = options.json().fieldNames(); it.hasNext();) {
            String key = it.next();
            given.add(key);
            if (!alterable.contains(key)) {
                fixed.add(key);
            }
        }
        if (!fixed.isEmpty()) {
            String hint = fixed.contains(TopicOptions.NUM_PARTITIONS)
                    ? " (add partitions with Driver.addPartitions)" : "";
            throw new InvalidOptionException("Cannot change option" + (fixed.size() > 1 ? "s " : " ") + fixed
                    + " of topic '" + topic + "': set at creation only" + hint + ". The '" + provider.name()
                    + "' driver can change " + new TreeSet<>(alterable) + "; nothing was changed");
        }
        if (given.isEmpty()) {
            throw new InvalidOptionException("No option to change for topic '" + topic + "': give at least one of "
                    + new TreeSet<>(alterable));
        }
        return changes;
    }

    /** @throws UnsupportedOperationException if the driver cannot add partitions */
    static void checkAddPartitions(DriverProvider provider, String topic) {
        if (!provider.capabilities().addPartitions()) {
            throw new UnsupportedOperationException("The '" + provider.name() + "' driver cannot add partitions to"
                    + " topic '" + topic + "' (its Capabilities.addPartitions() is false). Create a new topic with more"
                    + " partitions and move the events with 'diaspora-ctl forward'");
        }
    }
}
