package dev.diaspora.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The range output reads entries in the shape Redis answers {@code XRANGE} with (an array of entries, each an array
 * of the id and an array of names and values), whatever the fields' order, with fields of other programs skipped
 * and missing or malformed ones reported, as the state machine of the client calls it.
 */
class RedisRangeOutputTest {
    @Test
    void entriesInAnyFieldOrderWithForeignFieldsAndIds() {
        RedisRangeOutput out = new RedisRangeOutput();
        out.multi(4);
        entry(out, "0-1", "m", "{}", "t", "0001", "z", "12", "k", "0");
        entry(out, "0-2", "x", "other", "k", "4096", "z", "9000", "m", "meta", "t", "5");
        entry(out, "1700000000000-0", "t", "7", "z", "nan");
        out.multi(2);
        out.set(bytes("0-4"));
        out.set((ByteBuffer) null); // a nil field list
        assertEquals(4, out.size());
        assertEquals(1, out.seq(0));
        assertEquals("{}", StandardCharsets.UTF_8.decode(out.metadata(0)).toString());
        assertEquals(1, out.number(0, 1));
        assertEquals(12, out.number(0, 2));
        assertEquals(0, out.number(0, 3));
        assertEquals("meta", StandardCharsets.UTF_8.decode(out.metadata(1)).toString());
        assertEquals(5, out.number(1, 1));
        assertEquals(9000, out.number(1, 2));
        assertEquals(4096, out.number(1, 3));
        assertEquals(-1, out.seq(2));
        assertEquals("1700000000000-0", out.id(2));
        assertNull(out.metadata(2));
        assertEquals(RedisRangeOutput.NOT_A_NUMBER, out.number(2, 2));
        assertEquals(RedisRangeOutput.MISSING, out.number(2, 3));
        assertEquals("0-4", out.id(3));
        assertNull(out.metadata(3));
        assertEquals(RedisRangeOutput.MISSING, out.number(3, 1));
    }

    @Test
    void growsPastTheAnnouncedCountAndReadsAnEmptyRange() {
        RedisRangeOutput empty = new RedisRangeOutput();
        empty.multi(0);
        assertEquals(0, empty.size());
        RedisRangeOutput out = new RedisRangeOutput();
        out.multi(-1); // a count the client did not know
        for (int i = 0; i < 40; i++) {
            entry(out, "0-" + (i + 1), "m", "e" + i, "t", "1", "z", "0", "k", "0");
        }
        assertEquals(40, out.size());
        assertEquals(40, out.seq(39));
        assertEquals("e39", StandardCharsets.UTF_8.decode(out.metadata(39)).toString());
    }

    private static void entry(RedisRangeOutput out, String id, String... pairs) {
        out.multi(2);
        out.set(bytes(id));
        out.multi(pairs.length);
        for (String s : pairs) {
            out.set(bytes(s));
        }
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
