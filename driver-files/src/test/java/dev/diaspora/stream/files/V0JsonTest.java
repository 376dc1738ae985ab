package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.diaspora.stream.InvalidMetadataException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link V0Json}: the text nlohmann::json {@code dump()} makes, which C++ stores in v0 metadata. */
class V0JsonTest {
    private static String compact(String json) {
        return new String(V0Json.compact(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8))),
                StandardCharsets.UTF_8);
    }

    private static String dbl(double d) {
        StringBuilder b = new StringBuilder();
        V0Json.doubleValue(d, b);
        return b.toString();
    }

    /** The cases observed on disk (shared research notes on the C++ layout, and the fixtures). */
    @Test
    void observedCppOutput() {
        assertEquals("{\"a\":2.5,\"b\":1,\"f\":1e+20,\"n\":null,\"u\":\"\u00e9\u00e9\",\"z\":[1,2]}",
                compact("{\"b\":1,\"a\":2.5,\"u\":\"\u00e9\\u00e9\",\"n\":null,\"f\":1e20,\"z\":[1,2]}"));
        assertEquals("{\"energy\":0,\"k\":0,\"name\":\"ev-0\"}", compact("{\"k\":0,\"name\":\"ev-0\",\"energy\":0}"));
        assertEquals("\"plain string\"", compact(" \"plain string\" "));
        assertEquals("{\n  \"type\": \"default\"\n}", new String(V0Json.pretty(
                V0Json.parse(ByteBuffer.wrap("{\"type\":\"default\"}".getBytes()))), StandardCharsets.UTF_8));
    }

    /** nlohmann's number rules: fixed point for 1e-4 &lt;= |v| &lt; 1e15, else exponent with at least 2 digits. */
    @Test
    void numbers() {
        String[][] cases = {
            {"1e-5", "1e-05"}, {"0.0001", "0.0001"}, {"0.00012", "0.00012"}, {"1.2e-5", "1.2e-05"},
            {"1e5", "100000.0"}, {"2.0", "2.0"}, {"-2.5", "-2.5"}, {"0.1", "0.1"}, {"1e14", "100000000000000.0"},
            {"1e15", "1e+15"}, {"123456789012345.6", "123456789012345.6"}, {"1.5e300", "1.5e+300"},
            {"5e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"}, {"-0.0", "-0.0"},
            {"0.0", "0.0"}, {"-0", "0"}, {"18446744073709551615", "18446744073709551615"},
            {"18446744073709551616", "1.8446744073709552e+19"}, {"-9223372036854775808", "-9223372036854775808"},
            {"-9223372036854775809", "-9.223372036854776e+18"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], compact(c[0]), c[0]);
        }
    }

    @Test
    void strings() {
        assertEquals("\"\\u0001\\u001f\u007f\\\"\\\\\\b\\f\\n\\r\\t/\"",
                compact("\"\\u0001\\u001f\\u007f\\\"\\\\\\b\\f\\n\\r\\t\\/\""));
        // keys sort by UTF-8 bytes, as std::string: U+FF21 (EF BC A1) before U+1F600 (F0 9F 98 80), unlike UTF-16
        assertEquals("{\"\uff21\":1,\"\ud83d\ude00\":2}", compact("{\"\ud83d\ude00\":2,\"\uff21\":1}"));
        assertEquals("{\"a\":2}", compact("{\"a\":1,\"a\":2}"), "the last duplicate wins");
    }

    /** Seeded: every double prints in the nlohmann shape and reads back as itself. */
    @Test
    void everyDoubleReadsBack() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 50_000; i++) {
            double d = i % 2 == 0 ? Double.longBitsToDouble(r.nextLong()) : r.nextDouble() * Math.pow(10, r.nextInt(-8, 20));
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                continue;
            }
            String s = dbl(d);
            assertEquals(d, Double.parseDouble(s), "seed " + seed + ": " + d + " printed " + s);
            double a = Math.abs(d);
            boolean fixed = a >= 1e-4 && a < 1e15 || d == 0;
            assertEquals(fixed, !s.contains("e"), "seed " + seed + ": " + d + " printed " + s);
            if (fixed) {
                assertEquals(true, s.contains("."), "seed " + seed + ": " + s);
            } else {
                assertEquals(true, s.matches("-?[1-9](\\.[0-9]*[1-9])?e[+-][0-9]{2,3}"), "seed " + seed + ": " + s);
            }
        }
    }

    @Test
    void notJsonIsRefused() {
        assertThrows(InvalidMetadataException.class, () -> compact("{\"a\":"));
        assertThrows(InvalidMetadataException.class, () -> compact(""));
    }
}
