package dev.diaspora.stream.internal.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonSyntax} against Jackson's streaming parser (the check it replaced), on seeded random documents: valid
 * ones, and the same truncated, with bytes flipped, inserted or deleted. Jackson's verdict is the reference, except
 * where Jackson would decode the bytes as UTF-16/32 (a NUL or FE/FF among the first four bytes): there the scan must
 * reject. A failure prints the seed; replay it with {@code -Djson.seed=N}.
 */
class JsonSyntaxPropertyTest {
    private static final int DOCUMENTS = 4000;
    private static final int MUTANTS_PER_DOCUMENT = 6;

    /**
     * The former check: one value, all of it read by the streaming parser, nothing after it. A new factory each
     * time: a shared one caches field names across documents, and a cached name can then match bytes that Jackson
     * rejects when it decodes them ({@code {"\u00ff..."}} after some other name), so its verdict depended on history.
     */
    static boolean jacksonAccepts(byte[] b) {
        try (JsonParser p = new JsonFactory().createParser(b, 0, b.length)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return false;
            }
            int depth = 0;
            do {
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    depth++;
                } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    depth--;
                }
                if (depth == 0) {
                    break;
                }
                t = p.nextToken();
            } while (t != null);
            return depth == 0 && p.nextToken() == null;
        } catch (Exception e) {
            return false;
        }
    }

    static Json.JsonSyntaxError scan(byte[] b) {
        try {
            JsonSyntax.check(b, 0, b.length);
            return null;
        } catch (Json.JsonSyntaxError e) {
            return e;
        }
    }

    /** Jackson reads these as UTF-16 or UTF-32; metadata is UTF-8, so the scan rejects them on purpose. */
    static boolean jacksonGuessesAnotherEncoding(byte[] b) {
        for (int i = 0; i < Math.min(4, b.length); i++) {
            if (b[i] == 0) {
                return true;
            }
        }
        return b.length >= 2 && ((b[0] == (byte) 0xFE && b[1] == (byte) 0xFF)
                || (b[0] == (byte) 0xFF && b[1] == (byte) 0xFE));
    }

    static void compare(byte[] doc, long seed, String what) {
        Json.JsonSyntaxError e = scan(doc);
        if (jacksonGuessesAnotherEncoding(doc)) {
            assertNotNull(e, () -> "seed " + seed + ", " + what + ": a NUL or FE/FF start must be rejected: "
                    + HexFormat.of().formatHex(doc));
            return;
        }
        boolean jackson = jacksonAccepts(doc);
        if (jackson != (e == null)) {
            fail("seed " + seed + " (replay with -Djson.seed=" + seed + "), " + what + ": Jackson "
                    + (jackson ? "accepts" : "rejects") + ", the scan " + (e == null ? "accepts" : "rejects: "
                            + e.describe()) + "\ntext: " + new String(doc, StandardCharsets.ISO_8859_1) + "\nhex: "
                    + HexFormat.of().formatHex(doc));
        }
        if (e != null) {
            assertTrue(e.offset() >= 0 && e.offset() <= doc.length && e.line() >= 1 && e.column() >= 1,
                    () -> "seed " + seed + ": position of " + e.describe());
        }
    }

    @Test
    void shouldAgreeWithJacksonOnRandomAndMutatedDocuments() {
        long seed = Long.getLong("json.seed", System.nanoTime());
        System.out.println("JsonSyntaxPropertyTest: json.seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int accepted = 0;
        int rejected = 0;
        for (int d = 0; d < DOCUMENTS; d++) {
            Gen g = new Gen(rnd);
            g.space();
            g.value(0);
            g.space();
            byte[] doc = g.out.toByteArray();
            assertEquals(null, scan(doc) == null ? null : scan(doc).describe(), () -> "seed " + seed
                    + ": a generated valid document is rejected: " + new String(doc, StandardCharsets.UTF_8));
            compare(doc, seed, "document " + d);
            for (int m = 0; m < MUTANTS_PER_DOCUMENT; m++) {
                byte[] mutant = mutate(doc, rnd);
                compare(mutant, seed, "mutant " + m + " of document " + d);
                if (scan(mutant) == null) {
                    accepted++;
                } else {
                    rejected++;
                }
            }
        }
        // the mutants must exercise both verdicts, or the comparison proves little
        assertTrue(accepted > DOCUMENTS / 10 && rejected > DOCUMENTS, "accepted " + accepted + ", rejected "
                + rejected + " (seed " + seed + ")");
    }

    private static final byte[] INTERESTING = {'{', '}', '[', ']', ',', ':', '"', '\\', '-', '+', '.', 'e', 'E', '0',
        '1', 'u', 't', 'n', ' ', '\n', '\r', '\t', 0x00, 0x01, 0x1F, 0x7F, (byte) 0x80, (byte) 0xBF, (byte) 0xC0,
        (byte) 0xC3, (byte) 0xE2, (byte) 0xED, (byte) 0xF0, (byte) 0xF4, (byte) 0xF7, (byte) 0xF8, (byte) 0xFF};

    static byte[] mutate(byte[] doc, SplittableRandom rnd) {
        if (doc.length == 0) {
            return new byte[] {INTERESTING[rnd.nextInt(INTERESTING.length)]};
        }
        int at = rnd.nextInt(doc.length);
        byte b = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : (byte) rnd.nextInt(256);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (rnd.nextInt(5)) {
            case 0 -> out.write(doc, 0, at); // truncated
            case 1 -> { // one byte replaced
                out.write(doc, 0, doc.length);
                byte[] r = out.toByteArray();
                r[at] = b;
                return r;
            }
            case 2 -> { // one byte inserted
                out.write(doc, 0, at);
                out.write(b);
                out.write(doc, at, doc.length - at);
            }
            case 3 -> { // one byte deleted
                out.write(doc, 0, at);
                out.write(doc, at + 1, doc.length - at - 1);
            }
            default -> { // one bit flipped
                out.write(doc, 0, doc.length);
                byte[] r = out.toByteArray();
                r[at] ^= (byte) (1 << rnd.nextInt(8));
                return r;
            }
        }
        return out.toByteArray();
    }

    /** Writes a random valid JSON value: every construct of the grammar, multi-byte UTF-8 and escapes included. */
    static final class Gen {
        final SplittableRandom rnd;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Gen(SplittableRandom rnd) {
            this.rnd = rnd;
        }

        void ascii(String s) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }

        void space() {
            int n = rnd.nextInt(8) == 0 ? rnd.nextInt(3) + 1 : 0;
            for (int i = 0; i < n; i++) {
                out.write(" \t\n\r".charAt(rnd.nextInt(4)));
            }
        }

        void value(int depth) {
            int kind = depth > 5 ? 3 + rnd.nextInt(5) : rnd.nextInt(8);
            switch (kind) {
                case 0, 1 -> container(depth, true);
                case 2 -> container(depth, false);
                case 3, 4 -> string(false);
                case 5, 6 -> number();
                default -> ascii(new String[] {"true", "false", "null"}[rnd.nextInt(3)]);
            }
        }

        void container(int depth, boolean object) {
            out.write(object ? '{' : '[');
            space();
            int n = rnd.nextInt(4);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.write(',');
                    space();
                }
                if (object) {
                    string(true);
                    space();
                    out.write(':');
                    space();
                }
                value(depth + 1);
                space();
            }
            out.write(object ? '}' : ']');
        }

        /** Field names get no lone escaped surrogates: Jackson rejects them there (values may have them). */
        void string(boolean name) {
            out.write('"');
            int n = rnd.nextInt(8);
            for (int i = 0; i < n; i++) {
                switch (rnd.nextInt(6)) {
                    case 0 -> ascii(new String[] {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"}
                            [rnd.nextInt(8)]);
                    case 1 -> {
                        int unit = rnd.nextInt(0x10000);
                        if (name && unit >= 0xD800 && unit <= 0xDFFF) {
                            int high = 0xD800 + rnd.nextInt(0x400);
                            ascii(String.format("\\u%04x\\u%04X", high, 0xDC00 + rnd.nextInt(0x400)));
                        } else {
                            ascii(String.format(rnd.nextBoolean() ? "\\u%04x" : "\\u%04X", unit));
                        }
                    }
                    case 2 -> { // a code point of 2, 3 or 4 UTF-8 bytes (not a surrogate)
                        int cp;
                        do {
                            cp = 0x80 + rnd.nextInt(0x10FFFF - 0x80);
                        } while (cp >= 0xD800 && cp <= 0xDFFF);
                        ascii(new String(Character.toChars(cp)));
                    }
                    default -> { // printable ASCII and DEL
                        int c = 0x20 + rnd.nextInt(0x60);
                        if (c == '"' || c == '\\') {
                            out.write('\\');
                        }
                        out.write(c);
                    }
                }
            }
            out.write('"');
        }

        void number() {
            if (rnd.nextBoolean()) {
                out.write('-');
            }
            if (rnd.nextInt(4) == 0) {
                out.write('0');
            } else {
                out.write('1' + rnd.nextInt(9));
                digits(rnd.nextInt(6));
            }
            if (rnd.nextBoolean()) {
                out.write('.');
                digits(1 + rnd.nextInt(5));
            }
            if (rnd.nextInt(3) == 0) {
                out.write(rnd.nextBoolean() ? 'e' : 'E');
                int sign = rnd.nextInt(3);
                if (sign > 0) {
                    out.write(sign == 1 ? '+' : '-');
                }
                digits(1 + rnd.nextInt(3));
            }
        }

        void digits(int n) {
            for (int i = 0; i < n; i++) {
                out.write('0' + rnd.nextInt(10));
            }
        }
    }
}
