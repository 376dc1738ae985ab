package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The metadata limits: the producer's check ({@link Metadata#checkSyntax()}, run at push) refuses exactly what a
 * consumer's parser ({@link Metadata#json()}) cannot parse, near each limit, and says which limit and which value.
 * Seeded: a failure names the seed; replay with {@code -Dlimits.seed=N}.
 */
class MetadataLimitsTest {
    static final long SEED = Long.getLong("limits.seed", System.nanoTime());

    /** A generated document and what it measures against its limit. */
    record Doc(String kind, byte[] bytes, long measure, long limit, String constant) {
        boolean withinLimit() {
            return measure <= limit;
        }

        @Override
        public String toString() {
            return kind + " of " + measure + " (limit " + limit + ", " + bytes.length + " bytes)";
        }
    }

    static String reject(Runnable r) {
        try {
            r.run();
            return null;
        } catch (InvalidMetadataException e) {
            return e.getMessage();
        }
    }

    /** A string value of exactly {@code units} UTF-16 units, written with a random mix of escapes and UTF-8 widths. */
    static Doc stringValue(SplittableRandom rnd, int units) {
        StringBuilder special = new StringBuilder();
        int used = 0;
        int k = rnd.nextInt(30);
        for (int i = 0; i < k && used + 2 <= units; i++) {
            switch (rnd.nextInt(6)) {
                case 0: special.append("\\n"); used += 1; break;
                case 1: special.append("\\u00e9"); used += 1; break;
                case 2: special.append("\u00e9"); used += 1; break; // 2 bytes
                case 3: special.append("\u20ac"); used += 1; break; // 3 bytes
                case 4: special.append("\uD83D\uDE00"); used += 2; break; // 4 bytes, a surrogate pair
                default: special.append("\\ud83d\\ude00"); used += 2; break; // an escaped pair
            }
        }
        StringBuilder sb = new StringBuilder(units + 64).append("{\"v\":\"");
        int ascii = units - used;
        int cut = rnd.nextInt(ascii + 1);
        sb.append("x".repeat(cut)).append(special).append("y".repeat(ascii - cut)).append("\"}");
        return new Doc("string value", sb.toString().getBytes(StandardCharsets.UTF_8), units, Metadata.MAX_STRING_LENGTH,
                "Metadata.MAX_STRING_LENGTH");
    }

    /** A document of exactly {@code size} bytes: an array of strings each well under the string limit. */
    static Doc document(SplittableRandom rnd, int size) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, (byte) 'z');
        b[0] = '[';
        b[size - 1] = ']';
        // strings of about 10 MB each: "zzz...","zzz...",...
        int pos = 1;
        int chunk = 10_000_000 + rnd.nextInt(1000);
        while (pos < size - 1) {
            int end = Math.min(size - 2, pos + chunk); // the closing quote's index
            if (end - pos < 1) { // no room for a string: pad with a space
                b[pos++] = ' ';
                continue;
            }
            b[pos] = '"';
            b[end] = '"';
            pos = end + 1;
            if (pos < size - 1) {
                b[pos++] = ',';
                if (pos >= size - 2) { // a trailing comma would be invalid: turn it into space
                    b[pos - 1] = ' ';
                }
            }
        }
        return new Doc("document", b, size, Metadata.MAX_SIZE, "Metadata.MAX_SIZE");
    }

    static Doc nesting(SplittableRandom rnd, int depth) {
        StringBuilder open = new StringBuilder();
        StringBuilder close = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            if (rnd.nextBoolean()) {
                open.append("{\"k").append(i % 10).append("\":");
                close.append('}');
            } else {
                open.append(rnd.nextBoolean() ? "[" : "[1,");
                close.append(']');
            }
        }
        String s = open + (rnd.nextBoolean() ? "0" : "\"leaf\"") + close.reverse();
        return new Doc("nesting", s.getBytes(StandardCharsets.UTF_8), depth, Metadata.MAX_DEPTH, "Metadata.MAX_DEPTH");
    }

    static Doc number(SplittableRandom rnd, int digits) {
        int exp = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(Math.min(5, digits - 1)) : 0;
        int frac = rnd.nextBoolean() ? rnd.nextInt(digits - exp) : 0;
        int integer = digits - exp - frac;
        StringBuilder n = new StringBuilder(rnd.nextBoolean() ? "-" : "");
        n.append('1');
        for (int i = 1; i < integer; i++) {
            n.append((char) ('0' + rnd.nextInt(10)));
        }
        if (frac > 0) {
            n.append('.');
            for (int i = 0; i < frac; i++) {
                n.append((char) ('0' + rnd.nextInt(10)));
            }
        }
        if (exp > 0) {
            n.append(rnd.nextBoolean() ? "e" : "E").append(rnd.nextBoolean() ? "" : rnd.nextBoolean() ? "+" : "-");
            for (int i = 0; i < exp; i++) {
                n.append((char) ('0' + rnd.nextInt(10)));
            }
        }
        return new Doc("number", ("{\"n\":[" + n + "]}").getBytes(StandardCharsets.UTF_8), digits,
                Metadata.MAX_NUMBER_LENGTH, "Metadata.MAX_NUMBER_LENGTH");
    }

    /** A field name of exactly {@code bytes} UTF-8 bytes once unescaped. */
    static Doc name(SplittableRandom rnd, int bytes) {
        StringBuilder special = new StringBuilder();
        int used = 0;
        int k = rnd.nextInt(30);
        for (int i = 0; i < k && used + 4 <= bytes; i++) {
            switch (rnd.nextInt(4)) {
                case 0: special.append("\\n"); used += 1; break;
                case 1: special.append("\u00e9"); used += 2; break;
                case 2: special.append("\u20ac"); used += 3; break;
                default: special.append("\\u00e9"); used += 2; break;
            }
        }
        String name = "a".repeat(bytes - used - 1) + special + "b";
        return new Doc("field name", ("{\"" + name + "\":1}").getBytes(StandardCharsets.UTF_8), bytes,
                Metadata.MAX_NAME_LENGTH, "Metadata.MAX_NAME_LENGTH");
    }

    static void check(Doc d, String where) {
        String producer = reject(() -> Metadata.ofUtf8(d.bytes()).checkSyntax());
        String consumer = reject(() -> Metadata.ofUtf8(d.bytes()).json());
        assertEquals(d.withinLimit(), producer == null, () -> where + " " + d + ": the producer "
                + (producer == null ? "accepted it" : "refused it: " + producer));
        assertEquals(producer == null, consumer == null, () -> where + " " + d + ": the producer "
                + (producer == null ? "accepted" : "refused") + " it, the consumer's parser "
                + (consumer == null ? "accepted it" : "refused it: " + consumer));
        if (producer != null) {
            long reported = d.kind().equals("nesting") ? d.limit() + 1 : d.measure(); // the scan stops there
            assertTrue(producer.contains(d.constant()) && producer.contains(String.valueOf(reported))
                    && producer.contains(String.valueOf(d.limit())), () -> where + " " + d
                            + ": the error must name the limit, its value and the document's: " + producer);
        }
    }

    @Test
    void producerAndConsumerAgreeNearTheDepthNumberAndNameLimits() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < 600; i++) {
            int delta = rnd.nextInt(-3, 4);
            Doc d = switch (i % 3) {
                case 0 -> nesting(rnd, Metadata.MAX_DEPTH + delta);
                case 1 -> number(rnd, Metadata.MAX_NUMBER_LENGTH + delta);
                default -> name(rnd, Metadata.MAX_NAME_LENGTH + delta);
            };
            check(d, "[limits.seed=" + SEED + ", case " + i + "]");
        }
    }

    @Test
    void producerAndConsumerAgreeNearTheStringLimit() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < 6; i++) {
            int delta = i < 2 ? i : rnd.nextInt(-3, 4); // 0 and +1 always, then random
            check(stringValue(rnd, Metadata.MAX_STRING_LENGTH + delta), "[limits.seed=" + SEED + ", case " + i + "]");
        }
    }

    @Test
    void producerAndConsumerAgreeNearTheDocumentSizeLimit() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < 4; i++) {
            int delta = i < 2 ? i : rnd.nextInt(-3, 4);
            check(document(rnd, Metadata.MAX_SIZE + delta), "[limits.seed=" + SEED + ", case " + i + "]");
        }
    }

    @Test
    void theIssueElevensTwentyOneMegabyteStringIsRefusedNamingTheLimit() {
        Metadata md = Metadata.of("{\"blob\":\"" + "x".repeat(21_000_000) + "\"}");
        InvalidMetadataException e = assertThrows(InvalidMetadataException.class, md::checkSyntax);
        assertTrue(e.getMessage().contains("string value of 21000000 characters"), e.getMessage());
        assertTrue(e.getMessage().contains("20000000 allowed (Metadata.MAX_STRING_LENGTH)"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1, column 9"), e.getMessage());
        assertTrue(e.getMessage().contains("event's data"), e.getMessage());
    }
}
