package dev.diaspora.stream.redis;

/**
 * The names of every key the driver uses (see the module README). The keys of one topic carry the hash tag
 * {@code {name}}, so that they live in one slot; the partitions of one incarnation (a topic deleted and created
 * again is a new incarnation, with fresh keys) add the incarnation id. With the layout {@code slots: partition}, the
 * keys of each partition (stream, data, state, retried batches) carry a hash tag of their own, {@code {name:inc:p}},
 * so that a cluster spreads a topic's partitions over its slots; every script still touches the keys of one slot.
 *
 * <p>Thread safety: immutable.
 */
final class RedisKeys {
    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** @return the set of every topic name */
    String registry() {
        return prefix + ":topics";
    }

    /** @return the prefix of every key of {@code topic} */
    String topicBase(String topic) {
        return prefix + ":{" + topic + "}:";
    }

    /** @return the hash of a topic's incarnation id, options and components */
    String meta(String topic) {
        return topicBase(topic) + "meta";
    }

    /** @return the stream that wakes tailing consumers of any incarnation when the topic is deleted */
    String control(String topic) {
        return topicBase(topic) + "ctl";
    }

    /**
     * Keys of one incarnation of one topic.
     *
     * @param base the prefix of the incarnation's keys in the topic's slot
     * @param partitionTag the prefix of a partition's own hash tag, or null when partitions stay in the topic's slot
     */
    record Incarnation(String base, String partitionTag) {
        /** @return the prefix of partition {@code p}'s keys */
        private String partition(int p) {
            return partitionTag == null ? base + p + ":" : partitionTag + p + "}:";
        }

        /** @return partition {@code p}'s stream: one entry per event (metadata, time, data size) */
        String stream(int p) {
            return partition(p) + "s";
        }

        /** @return partition {@code p}'s data hash: one field per event, or per chunk of a large event */
        String data(int p) {
            return partition(p) + "d";
        }

        /** @return partition {@code p}'s state hash: the incarnation, next EventID, last timestamp, retention state */
        String state(int p) {
            return partition(p) + "h";
        }

        /**
         * @return the prefix of the string keys holding partition {@code p}'s large data: {@code <prefix><EventID>}
         *     for one-field data, {@code <prefix><EventID>.<chunk>} for data split into chunks
         */
        String values(int p) {
            return partition(p) + "v:";
        }

        /**
         * @return the temporary key of the {@code index}-th large value of a producer's batch in partition {@code p},
         *     written before the append script, which renames it into place (unique per producer, batch and value)
         */
        String upload(int p, long producerId, long sequence, int index) {
            return partition(p) + "u:" + Long.toHexString(producerId) + ":" + sequence + ":" + index;
        }

        /** @return the hash that makes a producer's retried batches idempotent in partition {@code p} */
        String dedup(int p, long producerId) {
            return partition(p) + "w:" + Long.toHexString(producerId);
        }

        /** @return the set of consumer names with stored positions */
        String names() {
            return base + "names";
        }

        /** @return the hash of {@code consumer}'s positions: partition to next EventID */
        String positions(String consumer) {
            return base + "pos:" + consumer;
        }

        /** @return the sorted set of {@code consumer}'s group members, scored by the server time they expire at */
        String group(String consumer) {
            return base + "group:" + consumer;
        }

        /** @return the lease of ({@code consumer}, {@code p}) */
        String lease(String consumer, int p) {
            return base + "lease:" + p + ":" + consumer;
        }
    }

    /**
     * @param slotPerPartition whether each partition's keys have a hash tag of their own
     * @return the keys of incarnation {@code inc} of {@code topic}
     */
    Incarnation incarnation(String topic, String inc, boolean slotPerPartition) {
        return new Incarnation(topicBase(topic) + inc + ":",
                slotPerPartition ? prefix + ":{" + topic + ":" + inc + ":" : null);
    }
}
