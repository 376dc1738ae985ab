package dev.diaspora.stream.redis;

/**
 * The names of every key the driver uses (see the module README). All keys of one topic carry the hash tag
 * {@code {name}}, so that they live in one slot; the partitions of one incarnation (a topic deleted and created
 * again is a new incarnation, with fresh keys) add the incarnation id.
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

    /** Keys of one incarnation of one topic. */
    record Incarnation(String base) {
        /** @return partition {@code p}'s stream: one entry per event (metadata, time, data size) */
        String stream(int p) {
            return base + p + ":s";
        }

        /** @return partition {@code p}'s data hash: one field per event, or per chunk of a large event */
        String data(int p) {
            return base + p + ":d";
        }

        /** @return partition {@code p}'s state hash: the next EventID and the last timestamp */
        String state(int p) {
            return base + p + ":h";
        }

        /** @return the hash that makes a producer's retried batches idempotent in partition {@code p} */
        String dedup(int p, long producerId) {
            return base + p + ":w:" + Long.toHexString(producerId);
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

    /** @return the keys of incarnation {@code inc} of {@code topic} */
    Incarnation incarnation(String topic, String inc) {
        return new Incarnation(topicBase(topic) + inc + ":");
    }
}
