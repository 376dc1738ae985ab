package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.internal.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code hash} partition selector, {@code {"type":"hash","field":"key"}}: events with equal values of the field go
 * to the same partition. The field may be a dotted path ({@code "run.detector"}) walking nested objects.
 *
 * <p>The partition is the 32-bit FNV-1a hash, taken as unsigned, modulo the number of partitions. It is computed over
 * the UTF-8 bytes of the value when the value is a string, and over its compact JSON text otherwise ({@code 42},
 * {@code true}, {@code {"a":1}}, {@code null}). This is stable across JVMs, versions and languages, so another
 * producer, in Java or not, can compute the same partition. An explicit partition is returned unchanged; events
 * without the field (or whose metadata is not an object) go round robin, as with the default selector.
 *
 * <p>Thread safety: thread-safe and lock-free.
 */
final class HashSelector implements PartitionSelector {
    private static final int FNV_OFFSET_BASIS = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private final String[] path;
    private final Metadata config;
    private final RoundRobinSelector fallback = new RoundRobinSelector();

    private HashSelector(String[] path, Metadata config) {
        this.path = path;
        this.config = config;
    }

    /**
     * @throws InvalidOptionException if {@code "field"} is missing, not a string, or has an empty path segment
     */
    static HashSelector fromConfig(Metadata config) {
        ComponentConfig options = ComponentConfig.of("the hash partition selector", config, "type", "field");
        String field = options.requiredString("field", "{\"type\":\"hash\",\"field\":\"run.detector\"}");
        String[] path = field.split("\\.", -1);
        for (String segment : path) {
            if (segment.isEmpty()) {
                throw new InvalidOptionException("Invalid value '" + field + "' for option 'field' of the hash"
                        + " partition selector: empty name between dots; expected a field name or a dotted path"
                        + " such as run.detector");
            }
        }
        ObjectNode node = Json.object();
        node.put("type", HashPartitionSelectorProvider.NAME);
        node.put("field", field);
        return new HashSelector(path, Metadata.of(node));
    }

    @Override
    public int select(Metadata metadata, int requested, List<PartitionInfo> partitions) {
        if (requested >= 0) {
            return requested;
        }
        int n = partitions.size();
        JsonNode value = lookup(metadata.json());
        if (value == null) {
            return fallback.next(n);
        }
        byte[] bytes = value.isTextual()
                ? value.textValue().getBytes(StandardCharsets.UTF_8)
                : Json.write(value).getBytes(StandardCharsets.UTF_8);
        return partitionOf(fnv1a32(bytes), n);
    }

    /** @return the field's value, or null if the metadata has no such field */
    private JsonNode lookup(JsonNode node) {
        for (String segment : path) {
            if (!node.isObject()) {
                return null;
            }
            node = node.get(segment);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    /** @return {@code hash} taken as unsigned 32 bits, modulo {@code n} */
    static int partitionOf(int hash, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("PartitionSelector has no partition to select from");
        }
        return (int) ((hash & 0xFFFF_FFFFL) % n);
    }

    /** @return the 32-bit FNV-1a hash of the bytes */
    static int fnv1a32(byte[] bytes) {
        int h = FNV_OFFSET_BASIS;
        for (byte b : bytes) {
            h ^= b & 0xFF;
            h *= FNV_PRIME;
        }
        return h;
    }

    @Override
    public Metadata config() {
        return config;
    }

    @Override
    public String toString() {
        return "PartitionSelector[" + config + "]";
    }
}
