package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of {@link Metadata}: verbatim text, lazy parsing, syntax errors with positions, wrapping and equality. */
class MetadataTest {
    private static final Pattern POSITION = Pattern.compile("line (\\d+), column (\\d+)");

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Asserts the exception names a line and a column and returns them. */
    static int[] position(InvalidMetadataException e) {
        String m = e.getMessage();
        assertTrue(m.contains("line") && m.contains("column"), "message must name line and column: " + m);
        Matcher mm = POSITION.matcher(m);
        assertTrue(mm.find(), "message must say 'line L, column C': " + m);
        return new int[] {Integer.parseInt(mm.group(1)), Integer.parseInt(mm.group(2))};
    }

    // ---------------------------------------------------------------------------------------------- verbatim text

    @Test
    void shouldKeepTextVerbatim() {
        String text = "{ \"zeta\" : 1,\n\t\"alpha\":[ 2 , 3 ],  \"mid\" : {\"b\":true , \"a\":null} }  ";
        Metadata m = Metadata.of(text);
        assertEquals(text, m.toString(), "key order and whitespace are preserved");
        assertEquals(utf8(text).length, m.size());
        assertArrayEquals(utf8(text), m.toUtf8Bytes());
        // parsing does not change the text
        assertEquals(1, m.json().get("zeta").asInt());
        assertEquals(text, m.toString());
        List<String> keys = new ArrayList<>();
        m.json().fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("zeta", "alpha", "mid"), keys, "the tree keeps the text's key order");
    }

    @Test
    void shouldMatchTheCppDumps() {
        assertEquals("{}", Metadata.EMPTY.toString());
        assertTrue(Metadata.EMPTY.json().isObject());
        assertEquals(0, Metadata.EMPTY.json().size());

        Metadata m = Metadata.of("{\"x\":1,\"y\":2.3}");
        assertTrue(m.json().isObject());
        assertEquals(1, m.json().get("x").asInt());
        assertEquals(2.3, m.json().get("y").asDouble());
        assertEquals("{\"x\":1,\"y\":2.3}", m.toString());

        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("x", 1);
        node.put("y", 2.3);
        assertEquals("{\"x\":1,\"y\":2.3}", Metadata.of(node).toString());
    }

    @Test
    void shouldCountSizeInUtf8Bytes() {
        String text = "{\"name\":\"Zoë 😀\"}";
        Metadata m = Metadata.of(text);
        assertEquals(utf8(text).length, m.size());
        assertTrue(m.size() > text.length());
        assertEquals(text, m.toString());
        assertEquals("Zoë 😀", m.json().get("name").asText());
        assertEquals(0, Metadata.of("").size());
    }

    @Test
    void shouldRejectNulls() {
        assertThrows(NullPointerException.class, () -> Metadata.of((String) null));
        assertThrows(NullPointerException.class, () -> Metadata.of((JsonNode) null));
        assertThrows(NullPointerException.class, () -> Metadata.ofUtf8((byte[]) null));
        assertThrows(NullPointerException.class, () -> Metadata.ofUtf8((ByteBuffer) null));
    }

    // ----------------------------------------------------------------------------------------------- lazy parsing

    @Test
    void shouldConstructInvalidJsonAndFailOnlyInJson() {
        Metadata m = assertDoesNotThrow(() -> Metadata.of("{\"x\":1,\"y\":"));
        assertEquals("{\"x\":1,\"y\":", m.toString());
        assertEquals(11, m.size());
        InvalidMetadataException e = assertThrows(InvalidMetadataException.class, m::json);
        int[] pos = position(e);
        assertEquals(1, pos[0]);
        // and again: a failed parse is not cached as a success
        assertThrows(InvalidMetadataException.class, m::json);
        assertTrue(e instanceof DiasporaException);
        assertFalse(e.isRetriable());
    }

    @Test
    void shouldParseOnceAndShareTheTree() {
        Metadata m = Metadata.of("{\"a\":[1,2,3]}");
        JsonNode t1 = m.json();
        JsonNode t2 = m.json();
        assertSame(t1, t2);
        assertEquals(3, t1.get("a").size());
    }

    @Test
    @Timeout(20)
    void shouldParseConsistentlyFromManyThreads() throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 50; round++) {
                Metadata m = Metadata.of("{\"round\":" + round + ",\"list\":[1,2,3]}");
                List<Callable<JsonNode>> calls = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    calls.add(m::json);
                }
                JsonNode first = null;
                for (Future<JsonNode> f : ex.invokeAll(calls)) {
                    JsonNode n = f.get();
                    if (first == null) {
                        first = n;
                    }
                    assertEquals(first, n);
                    assertEquals(round, n.get("round").asInt());
                }
                // once published, later calls return one shared tree
                assertSame(m.json(), m.json());
            }
        } finally {
            ex.shutdownNow();
            assertTrue(ex.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // ---------------------------------------------------------------------------------------------- checkSyntax

    @ParameterizedTest
    @ValueSource(strings = {
        "{}", "{\"x\":1,\"y\":2.3}", "[]", "[1,\"a\",null,true,{\"b\":[{}]}]", "\"abcd\"", "12", "-1.5e10", "null",
        "true", "  {\"a\" : 1}  \n", "{\"a\":{\"b\":{\"c\":{\"d\":[[[[]]]]}}}}", "{\"k\":\"\\u00e9\\n\"}",
    })
    void shouldAcceptValidJson(String text) {
        Metadata m = Metadata.of(text);
        assertDoesNotThrow(m::checkSyntax, text);
        assertDoesNotThrow(m::json, text);
        assertEquals(text, m.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"x\":1,\"y\":", "{\"a\":1} trailing", "", "   ", "abcd", "{\"a\" 1}", "[1 2]", "{\"a\":1}}", "{\"a\":[1,2}",
        "\"abc", "{\"a\":1,}", "NaN", "01", "{'a':1}", "[", "]", "{\"a\":1}\n{\"b\":2}", "1 2", "{\"a\":tru}",
    })
    void shouldRejectInvalidJsonWithLineAndColumn(String text) {
        Metadata m = Metadata.of(text);
        InvalidMetadataException e1 = assertThrows(InvalidMetadataException.class, m::checkSyntax, text);
        int[] p1 = position(e1);
        InvalidMetadataException e2 = assertThrows(InvalidMetadataException.class, m::json, text);
        int[] p2 = position(e2);
        assertTrue(p1[0] >= 1 && p1[1] >= 1, e1.getMessage());
        assertArrayEquals(p1, p2, "checkSyntax and json agree on the position: " + e1.getMessage() + " / "
                + e2.getMessage());
        assertTrue(e1.getMessage().contains("not valid JSON"), e1.getMessage());
    }

    @Test
    void shouldNameTheRightPosition() {
        assertArrayEquals(new int[] {1, 12}, position(assertThrows(InvalidMetadataException.class,
                Metadata.of("{\"x\":1,\"y\":")::checkSyntax)));
        assertArrayEquals(new int[] {1, 9}, position(assertThrows(InvalidMetadataException.class,
                Metadata.of("{\"a\":1} trailing")::checkSyntax)));
        assertArrayEquals(new int[] {1, 1}, position(assertThrows(InvalidMetadataException.class,
                Metadata.of("")::checkSyntax)));
        InvalidMetadataException e = assertThrows(InvalidMetadataException.class,
                Metadata.of("{\n  \"a\": 1,\n  \"b\": tru\n}")::checkSyntax);
        assertEquals(3, position(e)[0], e.getMessage());
        assertTrue(e.getMessage().contains("tru"), e.getMessage());
    }

    /**
     * A second value after the first must be reported where it starts, as Jackson reports other unexpected tokens
     * ("{"a":1} trailing" names column 9, where "trailing" starts).
     */
    @Test
    void shouldNameWhereTrailingContentStarts() {
        assertArrayEquals(new int[] {1, 3}, position(assertThrows(InvalidMetadataException.class,
                Metadata.of("1 2")::checkSyntax)), "'2' is at column 3");
        assertArrayEquals(new int[] {2, 1}, position(assertThrows(InvalidMetadataException.class,
                Metadata.of("{\"a\":1}\n{\"b\":2}")::checkSyntax)), "the second object starts at line 2, column 1");
        assertArrayEquals(new int[] {2, 1}, position(assertThrows(InvalidMetadataException.class,
                Metadata.of("{\"a\":1}\n{\"b\":2}")::json)), "the second object starts at line 2, column 1");
    }

    @Test
    void shouldRejectInvalidUtf8WithAPosition() {
        byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, '"', '}'};
        Metadata m = Metadata.ofUtf8(bad);
        position(assertThrows(InvalidMetadataException.class, m::checkSyntax));
        position(assertThrows(InvalidMetadataException.class, m::json));
    }

    @Test
    void shouldSkipTheScanOnceParsed() {
        Metadata m = Metadata.of("{\"a\":1}");
        m.json();
        assertDoesNotThrow(m::checkSyntax);
    }

    // ------------------------------------------------------------------------------------------------ wrapping

    /**
     * Contract: {@code ofUtf8(byte[])} wraps the caller's array without copying, so the caller must not change it
     * afterwards. A change is visible (this test documents that; it is not a feature to rely on).
     */
    @Test
    void shouldWrapTheArrayWithoutCopying() {
        byte[] b = utf8("{\"a\":1}");
        Metadata m = Metadata.ofUtf8(b);
        assertEquals("{\"a\":1}", m.toString());
        b[5] = '7';
        assertEquals("{\"a\":7}", m.toString(), "ofUtf8(byte[]) does not copy");
    }

    @Test
    void shouldCopyOnOfString() {
        StringBuilder sb = new StringBuilder("{\"a\":1}");
        Metadata m = Metadata.of(sb.toString());
        sb.setCharAt(5, '7');
        assertEquals("{\"a\":1}", m.toString());
    }

    @Test
    void shouldWrapAHeapSliceWithANonZeroPosition() {
        byte[] backing = utf8("xxx{\"a\":1}yyy");
        ByteBuffer slice = ByteBuffer.wrap(backing).position(1).slice(); // arrayOffset 1: "xx{\"a\":1}yyy"
        slice.position(2).limit(9);
        Metadata m = Metadata.ofUtf8(slice);
        assertEquals("{\"a\":1}", m.toString());
        assertEquals(7, m.size());
        assertEquals(1, m.json().get("a").asInt());
        assertEquals(2, slice.position(), "position unchanged");
        assertEquals(9, slice.limit(), "limit unchanged");
        backing[8] = '5';
        assertEquals("{\"a\":5}", m.toString(), "a heap buffer with an array is wrapped, not copied");
        assertEquals(Metadata.of("{\"a\":5}"), m);
        assertEquals(Metadata.of("{\"a\":5}").hashCode(), m.hashCode());
    }

    @Test
    void shouldReadADirectBuffer() {
        byte[] text = utf8("__{\"d\":[1,2]}__");
        ByteBuffer direct = ByteBuffer.allocateDirect(text.length).put(text);
        direct.position(2).limit(text.length - 2);
        Metadata m = Metadata.ofUtf8(direct);
        assertEquals("{\"d\":[1,2]}", m.toString());
        assertEquals(2, direct.position());
        assertEquals(text.length - 2, direct.limit());
        assertEquals(2, m.json().get("d").size());
        assertEquals(Metadata.of("{\"d\":[1,2]}"), m);
    }

    @Test
    void shouldReadAReadOnlyHeapBuffer() {
        ByteBuffer ro = ByteBuffer.wrap(utf8("  [1]")).asReadOnlyBuffer();
        ro.position(2);
        Metadata m = Metadata.ofUtf8(ro);
        assertEquals("[1]", m.toString());
        assertEquals(2, ro.position());
    }

    @Test
    void shouldSnapshotAJsonNode() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("a", 1);
        ArrayNode arr = node.putArray("list");
        arr.add("x");
        Metadata m = Metadata.of(node);
        String before = m.toString();
        assertEquals("{\"a\":1,\"list\":[\"x\"]}", before);
        node.put("a", 2);
        node.put("b", 3);
        arr.add("y");
        assertEquals(before, m.toString(), "later changes to the node do not change the metadata");
        assertEquals(1, m.json().get("a").asInt());
        assertEquals(1, m.json().get("list").size());
        assertFalse(m.json().has("b"));
    }

    @Test
    void shouldSnapshotNonObjectNodes() {
        assertEquals("\"abcd\"", Metadata.of(JsonNodeFactory.instance.textNode("abcd")).toString());
        assertEquals("42", Metadata.of(JsonNodeFactory.instance.numberNode(42)).toString());
        assertEquals("null", Metadata.of(JsonNodeFactory.instance.nullNode()).toString());
    }

    // ------------------------------------------------------------------------------------------- non-object values

    @Test
    void shouldAcceptNonObjectValues() {
        Metadata s = Metadata.of("\"abcd\"");
        assertFalse(s.json().isObject());
        assertTrue(s.json().isTextual());
        assertEquals("abcd", s.json().asText());
        assertEquals("\"abcd\"", s.toString(), "dumps quoted");

        Metadata a = Metadata.of("[1,2,3]");
        assertTrue(a.json().isArray());
        assertEquals(3, a.json().size());

        Metadata n = Metadata.of("3.25");
        assertTrue(n.json().isNumber());
        assertEquals(3.25, n.json().asDouble());

        assertTrue(Metadata.of("null").json().isNull());
        assertTrue(Metadata.of("false").json().isBoolean());
    }

    // -------------------------------------------------------------------------------------------------- equality

    @Test
    void shouldCompareByBytes() {
        Metadata a = Metadata.of("{\"a\":1}");
        Metadata b = Metadata.ofUtf8(utf8("{\"a\":1}"));
        Metadata c = Metadata.ofUtf8(ByteBuffer.wrap(utf8("..{\"a\":1}..")).position(2).limit(9));
        assertEquals(a, b);
        assertEquals(a, c);
        assertEquals(c, a);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.hashCode(), c.hashCode());
        assertEquals(a, a);
        // same JSON value, different text: not equal
        assertNotEquals(a, Metadata.of("{ \"a\":1}"));
        assertNotEquals(Metadata.of("{\"a\":1,\"b\":2}"), Metadata.of("{\"b\":2,\"a\":1}"));
        assertNotEquals(a, Metadata.of("{\"a\":1} "));
        assertNotEquals(a, null);
        assertNotEquals(a, "{\"a\":1}");
        // invalid text compares by bytes too
        assertEquals(Metadata.of("{oops"), Metadata.ofUtf8(utf8("{oops")));
        assertEquals(Metadata.of(""), Metadata.ofUtf8(new byte[0]));
    }

    // ---------------------------------------------------------------------------------------------- byte access

    @Test
    void shouldExposeAReadOnlyUtf8View() {
        byte[] backing = utf8("..{\"a\":1}..");
        Metadata m = Metadata.ofUtf8(ByteBuffer.wrap(backing).position(2).limit(9));
        ByteBuffer u = m.utf8();
        assertTrue(u.isReadOnly());
        assertEquals(0, u.position());
        assertEquals(7, u.remaining());
        assertEquals(m.size(), u.remaining());
        byte[] got = new byte[u.remaining()];
        u.get(got);
        assertEquals("{\"a\":1}", new String(got, StandardCharsets.UTF_8));
        assertThrows(ReadOnlyBufferException.class, () -> m.utf8().put(0, (byte) 'x'));
        assertThrows(ReadOnlyBufferException.class, () -> m.utf8().array());
        // each call is independent: consuming one view does not affect the next
        assertEquals(7, m.utf8().remaining());
        assertEquals("{\"a\":1}", m.toString());
    }

    @Test
    void shouldCopyOutTheBytes() {
        Metadata m = Metadata.ofUtf8(ByteBuffer.wrap(utf8("..[true]..")).position(2).limit(8));
        byte[] copy = m.toUtf8Bytes();
        assertArrayEquals(utf8("[true]"), copy);
        copy[0] = 'x';
        assertEquals("[true]", m.toString(), "toUtf8Bytes returns a copy");
        byte[] dst = utf8("############");
        assertEquals(6, m.copyTo(dst, 3));
        assertEquals("###[true]###", new String(dst, StandardCharsets.UTF_8));
        assertThrows(IndexOutOfBoundsException.class, () -> m.copyTo(new byte[5], 0));
    }
}
