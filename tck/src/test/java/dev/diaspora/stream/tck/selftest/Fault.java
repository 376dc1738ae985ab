package dev.diaspora.stream.tck.selftest;

import java.util.Locale;

/** A deliberate defect of the reference driver, chosen with its {@code fault} option. */
enum Fault {
    /** A correct driver. */
    NONE,
    /** Silently drops every 7th appended event, still assigning EventIDs contiguously and reporting success. */
    DROP_EVENT,
    /** Swaps the first two events of every batch of two or more. */
    REORDER,
    /** {@code commit} stores nothing: acknowledgements are lost. */
    IGNORE_ACKS,
    /** {@code readData} copies the whole data from offset 0 instead of the selected ranges. */
    UNSELECTED_BYTES,
    /** {@code read} returns the first record of every batch twice. */
    DUPLICATE,
    /** Never signals the change notifier; a session sees only the events that existed when it opened. */
    NO_TAILING,
    /**
     * Never signals the change notifier, but sessions read the live topic: every event arrives, only at the engine's
     * 100 ms re-poll instead of at once (the memory driver with its {@code notifier().changed()} call removed).
     */
    NO_NOTIFY,
    /** Corrupts one byte (the first digit) of the metadata of every record read. */
    WRONG_METADATA,
    /** {@code readData} leaves the target zeroed for events with more than 1 KiB of data. */
    LOST_DATA,
    /** Starts a library thread that outlives {@code Driver.close()} by a few seconds. */
    LEAK_THREAD,
    /** Grants every lease: two live consumers of a name may read one partition. */
    NO_LEASES,
    /** Stores no component configurations with a topic, so openers fall back to the defaults. */
    LOSE_COMPONENTS,
    /** {@code deleteTopic} forgets the name but keeps the topic, which a later create of the name brings back. */
    STALE_DELETE,
    /** {@code createTopic} of an existing name silently replaces the topic. */
    OVERWRITE_ON_CREATE,
    /** {@code openTopic} of a missing topic throws an exception that does not name it. */
    VAGUE_ERRORS,
    /** Ignores {@code num_partitions}: every topic has one partition. */
    ONE_PARTITION,
    /** A read session's {@code seek} leaves the partition where it is. */
    IGNORE_SEEK,
    /**
     * A handle ignores the deletion of its topic: pushes through it succeed into the deleted topic (none reaches the
     * topic created again under the name), its consumers wait forever, its admin calls answer (issue 11).
     */
    DETACHED_HANDLE,
    /** Declares consumer groups but has none: the first consumer of a name keeps every partition (issue 12). */
    NEVER_REBALANCES,
    /** Every group member sees only itself and gets every lease: two members read one partition (issue 12). */
    DOUBLE_ASSIGN,
    /** Declares retention but keeps every event (issue 13). */
    IGNORE_RETENTION,
    /** Drops events by retention but serves a read below the first retained id from there, silently (issue 13). */
    SILENT_EXPIRY,
    /**
     * A group member's lease stays {@code held()} after a live member took it over (the driver ignores the member's
     * generation): a member dropped while stalled still stores positions for the partitions it lost (issue 12).
     */
    IGNORE_GENERATION,
    /**
     * Adds partitions, but an open topic handle keeps listing the partitions it opened with: open producers never
     * use the new ones (issue 13).
     */
    STALE_PARTITIONS,
    /** {@code idForTime} answers the first retained id whatever the time: start-at-time starts at the beginning. */
    WRONG_TIME_LOOKUP,
    /** {@code consumerNames} lists no name, though positions are stored. */
    NO_CONSUMER_NAMES,
    /** {@code storePositions} (an offline reset) stores nothing; commits of live consumers still do. */
    IGNORE_RESET,
    /** {@code listTopics} describes each topic by its options only, without its components. */
    LIST_WITHOUT_COMPONENTS,
    /** {@code alterTopic} accepts the changes and keeps the old options: a lowered retention never applies. */
    IGNORE_ALTER,
    /** An append to partition p of a topic of several partitions stores its events in partition p+1 (mod N). */
    WRONG_PARTITION,
    /** Stores timestamps that go back in time: each event of a partition a millisecond before the one before it. */
    BACKWARD_TIMESTAMPS,
    /** A read session ignores the consumer's explicit targets and reads every partition it can lease. */
    IGNORE_TARGETS,
    /** Declares persistence but keeps topics in the driver instance: a reopened driver has none of them. */
    FORGET_ON_REOPEN,
    /** {@code bounds} reports one event more than the partition holds (its {@code next} is one too far). */
    WRONG_BOUNDS,
    /** Runs a library thread ({@code diaspora-*}) that is not a daemon, from open until close. */
    NON_DAEMON_THREAD,
    /** A read session ignores {@code StartAt.id(n)} and starts where the consumer has no id: at the first event. */
    IGNORE_START_ID,
    /** Every {@code openTopic} of a name after the first gets an empty private copy: handles share no event. */
    PRIVATE_HANDLES,
    /**
     * {@code readData} keeps the targets it filled and overwrites them at its next call (a late completion of an
     * earlier read): the data of events already delivered changes under the application.
     */
    LATE_WRITE;

    /** @return the option value, e.g. {@code drop_event} */
    String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Fault parse(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    static String[] optionValues() {
        Fault[] all = values();
        String[] out = new String[all.length];
        for (int i = 0; i < all.length; i++) {
            out[i] = all[i].optionValue();
        }
        return out;
    }
}
