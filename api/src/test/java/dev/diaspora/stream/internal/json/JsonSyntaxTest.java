package dev.diaspora.stream.internal.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Edge cases of {@link JsonSyntax}, each also checked against Jackson's verdict (the former check). Texts are
 * ISO-8859-1 here, so that {@code \u00c3} stands for the byte 0xC3.
 */
class JsonSyntaxTest {
    private static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void agree(byte[] b) {
        Json.JsonSyntaxError e = JsonSyntaxPropertyTest.scan(b);
        boolean jackson = JsonSyntaxPropertyTest.jacksonAccepts(b);
        String text = new String(b, 0, Math.min(b.length, 200), StandardCharsets.ISO_8859_1);
        assertEquals(jackson, e == null, () -> "Jackson " + (jackson ? "accepts" : "rejects") + " " + text
                + (e == null ? "" : "; scan: " + e.describe()));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // accepted
        "{}", "[]", "0", "-0", "-0.0e-0", "1E+2", "12.5e10", "\"\"", "true", "false", "null", " \t\r\n[ 1 , 2 ]\r\n",
        "{\"a\":{\"b\":[{},[],\"\"]}}", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\uD83D\\uDE00\\ud800\"",
        "\"\u007f\"", "\"\u00c3\u00a9\"", "\"\u00e2\u0082\u00ac\"", "\"\u00f0\u009f\u0098\u0080\"",
        "\"\u00c0\u0080\"", "\"\u00ed\u00a0\u0080\"", "\"\u00f7\u00bf\u00bf\u00bf\"", "{\"\u00c3\u00a9\":1}",
        "\u00ef\u00bb\u00bf{}", "{\"a\":1,\"a\":2}", "[1,[2,[3]]]", "1\r", "{\"a\" :\n1}",
        // rejected
        "", " ", "\u00ef\u00bb\u00bf", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\" 1}",
        "{a:1}", "{'a':1}", "[1 2]", "{\"a\":1}}", "[1}", "{\"a\":1]", "01", "-01", "[00]", "1.", ".5", "-", "+1",
        "[-]", "1e", "1e+", "[1.e5]", "0x10", "NaN", "Infinity", "-Infinity", "tru", "truex", "[true1]", "nul",
        "nulll", "falsey", "1a", "1/2", "1,", "{}x", "{} {}", "1 2", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\u00\"",
        "\"\\", "\"\\u", "\"\u0001\"", "\"\t\"", "\"\n\"", "\u000c{}", "{} \u0000", "\"\u0080\"", "\"\u00bf\"",
        "\"\u00f8\u0080\u0080\u0080\u0080\"", "\"\u00ff\"", "\"\u00c3\"", "\"\u00c3", "\"\u00e2\u0082\"",
        "\"\u00f0\u009f\u0098\"", "{\"\u0080\":1}", "{\"\u00c3\":1}", "{\"a\u0001\":1}", "{\"a\\q\":1}",
        "\u00ef\u00bb{}", "[\u00c3\u00a9]", "/* c */ 1", "// c\n1", "[1]]", "{\"a\":}", "{\"a\"::1}",
        // surrogate escapes: any in values, only well-formed pairs in field names
        "[\"\\udc00\"]", "[\"\\ud800\\ud800\"]", "{\"\\ud83d\\ude00\":1}", "{\"\\ud800\\uDC00x\":1}",
        "{\"\\udcf6\":1}", "{\"\\ud800\":1}", "{\"a\\ud800b\":1}", "{\"\\ud800\\u0041\":1}",
        "{\"\\ud800\\ud800\":1}", "{\"\\ud800\\n\":1}", "{\"\\ud800\\udc00\\udc00\":1}",
        "{\"\\ud800\\u\":1}", "{\"\u00ed\u00a0\u0080\":1}",
    })
    void shouldAgreeWithJackson(String text) {
        agree(bytes(text));
    }

    @Test
    void shouldAgreeOnNestingDepthLimits() {
        for (int depth : new int[] {63, 64, 65, 127, 128, 129, 200, 999, 1000, 1001, 1500}) {
            agree(bytes("[".repeat(depth) + "]".repeat(depth)));
            agree(bytes("{\"a\":".repeat(depth) + "1" + "}".repeat(depth)));
            StringBuilder mixed = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                mixed.append(i % 3 == 0 ? "{\"k\":" : "[0,");
            }
            for (int i = depth - 1; i >= 0; i--) {
                mixed.append(i % 3 == 0 ? "}" : "]");
            }
            agree(bytes(mixed.toString()));
            agree(bytes(mixed.substring(0, mixed.length() - 1) + (mixed.charAt(mixed.length() - 1) == '}' ? "]" : "}")));
        }
        Json.JsonSyntaxError e = JsonSyntaxPropertyTest.scan(bytes("[".repeat(1001) + "]".repeat(1001)));
        assertNotNull(e);
        assertTrue(e.describe().contains("nesting deeper than 1000"), e.describe());
        assertEquals(1000, e.offset());
    }

    @Test
    void shouldAgreeOnNumberLengthLimits() {
        String d998 = "1".repeat(998);
        String d999 = "1".repeat(999);
        String d1000 = "1".repeat(1000);
        for (String n : new String[] {d1000, "1" + d1000, "-" + d1000, "-1" + d1000, "1." + d999, "1.1" + d999,
            "1e" + d999, "1e+" + d999, "1e-1" + d999, "1.5e+" + d998, "1.1e" + d999, "0." + d999, "0.1" + d999}) {
            agree(bytes(n));
            agree(bytes("[" + n + "]"));
        }
    }

    @Test
    void shouldAgreeOnFieldNameLengthLimits() {
        for (int n : new int[] {49_999, 50_000, 50_001}) {
            agree(bytes("{\"" + "a".repeat(n) + "\":1}"));
            agree(bytes("{\"" + "\\u0041".repeat(n) + "\":1}"));
            agree(bytes("\"" + "a".repeat(n) + "\""));
        }
        agree(bytes("{\"" + "\u00c3\u00a9".repeat(25_000) + "\":1}"));
        agree(bytes("{\"" + "\u00c3\u00a9".repeat(25_001) + "\":1}"));
        agree(bytes("{\"" + "\u00e2\u0082\u00ac".repeat(16_666) + "ab\":1}"));
        agree(bytes("{\"" + "\u00e2\u0082\u00ac".repeat(16_667) + "\":1}"));
    }

    @Test
    void shouldNameWhatIsWrongAndWhere() {
        Json.JsonSyntaxError e = JsonSyntaxPropertyTest.scan(bytes("{\n  \"a\": 1,\n  \"b\": tru\n}"));
        assertNotNull(e);
        assertEquals(3, e.line());
        assertEquals(8, e.column());
        assertEquals(19, e.offset());
        assertEquals("unrecognized token 'tru': expected true, false or null at line 3, column 8 (byte offset 19)",
                e.describe());

        e = JsonSyntaxPropertyTest.scan(bytes("{\"a\":\"x\u00c3\"}"));
        assertNotNull(e);
        assertEquals(8, e.offset(), e.describe());
        assertTrue(e.describe().contains("invalid UTF-8 continuation byte 0x22 after start byte 0xc3"), e.describe());

        e = JsonSyntaxPropertyTest.scan(bytes("[1,\r\n2,\r3,\n\"\u0007\"]"));
        assertNotNull(e);
        assertEquals(4, e.line(), e.describe());
        assertEquals(2, e.column(), e.describe());
        assertTrue(e.describe().contains("control character 0x07 in a string"), e.describe());

        e = JsonSyntaxPropertyTest.scan(bytes("\"\\q\""));
        assertNotNull(e);
        assertEquals(2, e.offset());
        assertTrue(e.describe().startsWith("invalid escape sequence '\\q'"), e.describe());

        e = JsonSyntaxPropertyTest.scan(bytes("[01]"));
        assertNotNull(e);
        assertTrue(e.describe().startsWith("invalid number: leading zeroes are not allowed"), e.describe());
        assertEquals(1, e.offset());

        e = JsonSyntaxPropertyTest.scan(bytes("{\"a\":1}\n{\"b\":2}"));
        assertNotNull(e);
        assertEquals(2, e.line());
        assertEquals(1, e.column());
        assertTrue(e.describe().startsWith("unexpected content after the JSON value: character '{'"), e.describe());
    }

    /** The point of the scan: the producer checks every event, so a valid document costs no allocation. */
    @Test
    void shouldNotAllocateForValidDocuments() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        byte[] doc = bytes("{\"run\":1234,\"step\":-5.6e7,\"tags\":[\"a\",\"\\u00e9\\n\",true,null],"
                + "\"nested\":{\"x\":[[[{}]]]},\"name\":\"\u00c3\u00a9\u00e2\u0082\u00ac\"}");
        long tid = Thread.currentThread().getId();
        for (int i = 0; i < 20_000; i++) {
            JsonSyntax.check(doc, 0, doc.length);
        }
        long before = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 10_000; i++) {
            JsonSyntax.check(doc, 0, doc.length);
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 10_000, "10,000 checks allocated " + allocated + " bytes");
    }

    @Test
    void shouldCheckOnlyTheGivenRange() {
        byte[] b = bytes("xx[1,2]yy");
        JsonSyntax.check(b, 2, 5);
        Json.JsonSyntaxError e = JsonSyntaxPropertyTest.scan(bytes("[1,2"));
        assertNotNull(e);
        try {
            JsonSyntax.check(b, 2, 4);
        } catch (Json.JsonSyntaxError range) {
            assertEquals(e.describe(), range.describe(), "positions are relative to the range");
            return;
        }
        fail("a truncated range must be rejected");
    }
    /** The eight-byte step of string scanning agrees with the byte loop: for every byte value at every position. */
    @Test
    void shouldStepOverEightBytesOnlyWhenEachIsPlainAscii() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(16);
        for (int at = 0; at < 8; at++) {
            for (int v = 0; v < 256; v++) {
                long w = 0;
                for (int i = 0; i < 8; i++) {
                    int x = i == at ? v : 0x20 + rnd.nextInt(0x60);
                    x = x == '"' || x == '\\' ? 'a' : x;
                    w |= (long) (i == at ? v : x) << (8 * i);
                }
                boolean plain = v >= 0x20 && v < 0x80 && v != '"' && v != '\\';
                assertEquals(plain, JsonSyntax.plainAscii(w), "byte " + v + " at " + at);
            }
        }
        for (int n = 0; n < 100_000; n++) { // random words: the byte-wise definition decides
            long w = rnd.nextLong();
            boolean plain = true;
            for (int i = 0; i < 8; i++) {
                int x = (int) (w >>> (8 * i)) & 0xFF;
                plain &= x >= 0x20 && x < 0x80 && x != '"' && x != '\\';
            }
            assertEquals(plain, JsonSyntax.plainAscii(w), () -> Long.toHexString(w));
        }
    }

    /** A long string with one byte of every value at every offset: same verdict as Jackson. */
    @Test
    void shouldAgreeWithJacksonOnEveryByteInsideALongString() {
        for (int at = 0; at < 24; at++) {
            for (int v = 0; v < 256; v++) {
                byte[] b = bytes("\"" + "abcdefgh".repeat(3) + "\"");
                b[1 + at] = (byte) v;
                agree(b);
            }
        }
    }
}
