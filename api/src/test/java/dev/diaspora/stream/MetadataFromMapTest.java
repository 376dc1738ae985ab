package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetadataFromMapTest {
    enum Mode { FSYNC }

    @Test
    void everySupportedValueTypeHasItsJsonForm() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("acks", "all");
        nested.put("linger", Duration.ofMillis(1500));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("root_path", Path.of("/tmp/d"));
        m.put("num_partitions", 4);
        m.put("big", 12345678901L);
        m.put("ratio", 0.5);
        m.put("exact", new BigDecimal("1.25"));
        m.put("tls", true);
        m.put("mode", Mode.FSYNC);
        m.put("servers", List.of("a:1", "b:2"));
        m.put("ports", new Object[] {1, 2});
        m.put("none", null);
        m.put("kafka", nested);
        assertEquals("{\"root_path\":\"/tmp/d\",\"num_partitions\":4,\"big\":12345678901,\"ratio\":0.5,"
                + "\"exact\":1.25,\"tls\":true,\"mode\":\"FSYNC\",\"servers\":[\"a:1\",\"b:2\"],\"ports\":[1,2],"
                + "\"none\":null,\"kafka\":{\"acks\":\"all\",\"linger\":1500}}", Metadata.of(m).toString());
    }

    @Test
    void aValueWithoutJsonFormIsRefusedNamingItsKeyPath() {
        Map<String, Object> m = Map.of("kafka", Map.of("servers", Arrays.asList("ok", new Object())));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metadata.of(m));
        assertTrue(e.getMessage().contains("'kafka.servers[1]'") && e.getMessage().contains("java.lang.Object"),
                e.getMessage());
    }

    @Test
    void aNonStringKeyInANestedMapIsRefused() {
        Map<String, Object> m = Map.of("kafka", Map.of(7, "x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metadata.of(m));
        assertTrue(e.getMessage().contains("'kafka'") && e.getMessage().contains("7"), e.getMessage());
    }

    @Test
    void laterChangesToTheMapDoNotChangeTheMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        Metadata md = Metadata.of(m);
        m.put("a", 2);
        assertEquals("{\"a\":1}", md.toString());
    }
}
