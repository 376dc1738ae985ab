package dev.diaspora.stream.internal.json;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An allocation-free JSON syntax check (RFC 8259) over UTF-8 bytes: no parser, no tree, no buffers; the only
 * allocation is the error on bad input, or one small array for documents nested deeper than 128 levels. Not API.
 *
 * <p>It accepts exactly what the producer's former check (Jackson 2.x's streaming parser with default features and
 * {@code StreamReadConstraints}) accepted from UTF-8 input:
 * <ul>
 *   <li>one value, with space, tab, LF and CR around it, after an optional UTF-8 byte order mark;</li>
 *   <li>strings without raw control characters (below 0x20), with the escapes {@code \" \\ \/ \b \f \n \r \t} and
 *       {@code \}{@code uXXXX} (lone surrogates included, except in field names, where an escaped surrogate must be
 *       half of an escaped pair); bytes 0x80 and above must form UTF-8 sequences by their
 *       lead byte (in field names, not encoding a surrogate) ({@code C0-DF} one continuation byte, {@code E0-EF} two, {@code F0-F7} three; continuation bytes
 *       {@code 80-BF}), like Jackson, which does not reject overlong forms or encoded surrogates either;</li>
 *   <li>numbers by the grammar ({@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}) with at most
 *       {@value #MAX_NUMBER_DIGITS} digits (integer, fraction and exponent digits together);</li>
 *   <li>nesting at most {@value #MAX_DEPTH} deep, field names at most {@value #MAX_NAME_BYTES} bytes once
 *       unescaped, string values at most {@value #MAX_STRING_CHARS} characters (UTF-16 units, as Java and Jackson
 *       count them: an escape is one, a character outside the BMP two) once unescaped;</li>
 *   <li>at most {@value #MAX_DOCUMENT_BYTES} bytes in all.</li>
 * </ul>
 * {@link Json}'s parser is configured with these same limits ({@code StreamReadConstraints}), so that what the
 * producer accepts every consumer can parse, whatever Jackson's defaults become. An error for a value over a limit
 * says so ({@link Json.JsonSyntaxError#limit()}).
 * One deliberate difference: Jackson guesses UTF-16 or UTF-32 from NUL bytes or a byte order mark at the start and
 * then accepts such text; metadata is UTF-8 by contract, so this check rejects it (a NUL is never JSON white space).
 *
 * <p>Thread safety: stateless.
 */
public final class JsonSyntax {
    /** Deepest nesting of arrays and objects accepted (Jackson's default {@code maxNestingDepth}). */
    public static final int MAX_DEPTH = 1000;
    /** Most digits in one number (Jackson's default {@code maxNumberLength}). */
    public static final int MAX_NUMBER_DIGITS = 1000;
    /** Longest field name in UTF-8 bytes once unescaped (Jackson's default {@code maxNameLength}). */
    public static final int MAX_NAME_BYTES = 50_000;
    /** Longest string value in UTF-16 units once unescaped (Jackson's default {@code maxStringLength}). */
    public static final int MAX_STRING_CHARS = 20_000_000;
    /** Largest document in bytes (Jackson's {@code maxDocumentLength}, unlimited by default, set by {@link Json}). */
    public static final int MAX_DOCUMENT_BYTES = 32 << 20;

    private static final int VALUE = 0;
    private static final int AFTER_VALUE = 1;
    private static final int NAME = 2;

    private JsonSyntax() {
    }

    /**
     * Checks that {@code utf8[offset, offset+length)} is one JSON value.
     *
     * @throws Json.JsonSyntaxError naming what is wrong, its line, column and byte offset (from {@code offset})
     */
    public static void check(byte[] utf8, int offset, int length) {
        final byte[] b = utf8;
        final int start = offset;
        final int end = offset + length;
        int pos = start;
        if (length > MAX_DOCUMENT_BYTES) {
            throw limit(b, start, start, "document of " + length + " bytes, more than the " + MAX_DOCUMENT_BYTES
                    + " allowed (Metadata.MAX_SIZE)");
        }
        if (length >= 3 && b[pos] == (byte) 0xEF && b[pos + 1] == (byte) 0xBB && b[pos + 2] == (byte) 0xBF) {
            pos += 3;
        }
        pos = skipSpace(b, pos, end);
        if (pos == end) {
            throw error(b, start, pos, "empty document: expected a JSON value");
        }
        // Open containers as a bit stack (1 = object): two longs cover 128 levels, deeper ones spill into `deep`.
        int depth = 0;
        long low = 0;
        long high = 0;
        long[] deep = null;
        int state = VALUE;
        while (true) {
            if (state == VALUE) {
                if (pos == end) {
                    throw error(b, start, pos, "unexpected end of input: expected a value");
                }
                int c = b[pos];
                if (c == '{' || c == '[') {
                    if (depth == MAX_DEPTH) {
                        throw limit(b, start, pos, "nesting deeper than " + MAX_DEPTH + " levels: level "
                                + (MAX_DEPTH + 1) + " opens here, more than the " + MAX_DEPTH
                                + " allowed (Metadata.MAX_DEPTH)");
                    }
                    boolean object = c == '{';
                    if (depth < 64) {
                        low = object ? low | (1L << depth) : low & ~(1L << depth);
                    } else if (depth < 128) {
                        high = object ? high | (1L << depth) : high & ~(1L << depth);
                    } else {
                        if (deep == null) {
                            deep = new long[(MAX_DEPTH + 63) / 64];
                        }
                        long bit = 1L << depth;
                        deep[depth >>> 6] = object ? deep[depth >>> 6] | bit : deep[depth >>> 6] & ~bit;
                    }
                    depth++;
                    pos = skipSpace(b, pos + 1, end);
                    if (pos < end && b[pos] == (object ? '}' : ']')) {
                        pos++;
                        depth--;
                        state = AFTER_VALUE;
                    } else {
                        state = object ? NAME : VALUE;
                    }
                    continue;
                } else if (c == '"') {
                    pos = string(b, start, pos + 1, end, false);
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    pos = number(b, start, pos, end);
                } else if (c == 't') {
                    pos = literal(b, start, pos, end, "true");
                } else if (c == 'f') {
                    pos = literal(b, start, pos, end, "false");
                } else if (c == 'n') {
                    pos = literal(b, start, pos, end, "null");
                } else {
                    throw error(b, start, pos, "unexpected " + describe(b, pos, end) + ": expected a value (string, "
                            + "number, object, array, true, false or null)");
                }
                state = AFTER_VALUE;
            } else if (state == AFTER_VALUE) {
                pos = skipSpace(b, pos, end);
                if (depth == 0) {
                    if (pos != end) {
                        throw error(b, start, pos, "unexpected content after the JSON value: " + describe(b, pos, end));
                    }
                    return;
                }
                boolean object = isObject(depth - 1, low, high, deep);
                if (pos == end) {
                    throw error(b, start, pos, "unexpected end of input: expected ',' or '" + (object ? '}' : ']')
                            + "'");
                }
                int c = b[pos];
                if (c == ',') {
                    pos = skipSpace(b, pos + 1, end);
                    state = object ? NAME : VALUE;
                } else if (c == (object ? '}' : ']')) {
                    pos++;
                    depth--;
                } else {
                    throw error(b, start, pos, "unexpected " + describe(b, pos, end) + ": expected ',' or '"
                            + (object ? '}' : ']') + "'");
                }
            } else { // NAME: at a field name, white space skipped
                if (pos == end || b[pos] != '"') {
                    throw error(b, start, pos, ("unexpected " + describe(b, pos, end)) + ": expected a field name in double quotes");
                }
                pos = skipSpace(b, string(b, start, pos + 1, end, true), end);
                if (pos == end || b[pos] != ':') {
                    throw error(b, start, pos, ("unexpected " + describe(b, pos, end)) + ": expected ':' after the field name");
                }
                pos = skipSpace(b, pos + 1, end);
                state = VALUE;
            }
        }
    }

    private static boolean isObject(int level, long low, long high, long[] deep) {
        if (level < 64) {
            return (low & (1L << level)) != 0;
        } else if (level < 128) {
            return (high & (1L << level)) != 0;
        }
        return (deep[level >>> 6] & (1L << level)) != 0;
    }

    private static int skipSpace(byte[] b, int pos, int end) {
        while (pos < end) {
            byte c = b[pos];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return pos;
            }
            pos++;
        }
        return pos;
    }

    /** Eight bytes of a byte[] at any index, in one read (the order does not matter to {@link #plainAscii}). */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * @return whether none of the eight bytes of {@code w} is below 0x20, above 0x7F, a quote or a backslash: the
     *     bytes {@link #string} steps over one by one as printable ASCII. Each test sets a byte's high bit where it
     *     holds for that byte; borrows can set more bits above a byte that holds, never where none does, so "no
     *     bit set" is exact.
     */
    static boolean plainAscii(long w) {
        long control = (w - ONES * 0x20) & ~w; // a byte below 0x20 (bytes of 0x80 and above are caught by w itself)
        long quote = w ^ (ONES * '"');
        long backslash = w ^ (ONES * '\\');
        long hits = w | control | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash);
        return (hits & HIGHS) == 0;
    }

    /**
     * @return the first position from {@code pos} whose eight bytes are not all plain ({@link #plainAscii}), or the
     *     first from which fewer than eight bytes are left before {@code end}. A loop of its own, small enough for the
     *     JIT to keep tight, where the loop of {@link #string} (with its escapes and limits) is not.
     */
    static int skipPlainAscii(byte[] b, int pos, int end) {
        while (pos + 8 <= end && plainAscii((long) LONGS.get(b, pos))) {
            pos += 8;
        }
        return pos;
    }

    /**
     * Scans a string whose opening quote is before {@code pos}.
     *
     * @return the position after the closing quote
     */
    private static int string(byte[] b, int start, int pos, int end, boolean name) {
        final int open = pos - 1;
        int unescapedBytes = 0; // for names: Jackson limits their length once unescaped
        int shrink = 0; // bytes minus UTF-16 units so far (escapes, multi-byte characters): for the value limit
        boolean expectLow = false; // for names: after an escaped high surrogate, Jackson wants an escaped low one
        int bytewiseUntil = pos; // after a word that is not all plain ASCII, its bytes go one by one
        while (true) {
            if (pos >= bytewiseUntil && pos + 8 <= end && !expectLow) {
                int q = skipPlainAscii(b, pos, end); // eight printable ASCII bytes at a time, no quote, no backslash
                unescapedBytes += q - pos;
                pos = q;
                bytewiseUntil = pos + 8; // the word at pos (if whole) is not plain: its bytes go one by one
            }
            if (pos == end) {
                throw error(b, start, pos, "unexpected end of input in a string that starts at byte " + (open - start));
            }
            int c = b[pos];
            if (expectLow && c != '\\') {
                throw error(b, start, pos, "broken surrogate pair in a field name: expected a \\u escape of a low "
                        + "surrogate after the high one, got " + describe(b, pos, end));
            }
            if (c >= 0x20 && c != '"' && c != '\\') { // printable ASCII: the common case
                pos++;
                unescapedBytes++;
                continue;
            }
            if (c == '"') {
                if (name && unescapedBytes > MAX_NAME_BYTES) {
                    throw limit(b, start, open, "field name of " + unescapedBytes + " bytes, longer than the "
                            + MAX_NAME_BYTES + " allowed (Metadata.MAX_NAME_LENGTH)");
                }
                int chars = pos - open - 1 - shrink;
                if (!name && chars > MAX_STRING_CHARS) {
                    throw limit(b, start, open, "string value of " + chars + " characters, longer than the "
                            + MAX_STRING_CHARS + " allowed (Metadata.MAX_STRING_LENGTH)");
                }
                return pos + 1;
            }
            if (c == '\\') {
                if (pos + 1 == end) {
                    throw error(b, start, pos + 1, "unexpected end of input in an escape sequence");
                }
                int e = b[pos + 1];
                if (e == 'u') {
                    int code = 0;
                    for (int i = 2; i < 6; i++) {
                        if (pos + i == end) {
                            throw error(b, start, pos + i, "unexpected end of input in a \\u escape");
                        }
                        int h = hex(b[pos + i]);
                        if (h < 0) {
                            throw error(b, start, pos + i, "unexpected " + describe(b, pos + i, end)
                                    + ": expected a hex digit in a \\u escape");
                        }
                        code = code << 4 | h;
                    }
                    if (name) {
                        boolean low = code >= 0xDC00 && code <= 0xDFFF;
                        if (expectLow != low) {
                            throw error(b, start, pos, expectLow
                                    ? String.format("broken surrogate pair in a field name: \\u%04x is not a low "
                                            + "surrogate", code)
                                    : String.format("unexpected low surrogate \\u%04x in a field name", code));
                        }
                        expectLow = code >= 0xD800 && code <= 0xDBFF;
                    }
                    unescapedBytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xDC00 && code <= 0xDFFF ? 1 : 3;
                    shrink += 5;
                    pos += 6;
                } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r'
                        || e == 't') {
                    if (expectLow) {
                        throw error(b, start, pos, "broken surrogate pair in a field name: expected a \\u escape of "
                                + "a low surrogate after the high one, got '\\" + (char) e + "'");
                    }
                    unescapedBytes++;
                    shrink++;
                    pos += 2;
                } else {
                    throw error(b, start, pos + 1, "invalid escape sequence '\\" + printable(e)
                            + "': expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }
                continue;
            }
            if (c >= 0) { // below 0x20
                throw error(b, start, pos, String.format("control character 0x%02x in a string: it must be escaped",
                        c));
            }
            int lead = c & 0xFF;
            int more = lead >= 0xF8 ? -1 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : -1;
            if (more < 0) {
                throw error(b, start, pos, String.format("invalid UTF-8 start byte 0x%02x", lead));
            }
            for (int i = 1; i <= more; i++) {
                if (pos + i == end) {
                    throw error(b, start, pos + i, "unexpected end of input in a UTF-8 sequence");
                }
                int next = b[pos + i] & 0xFF;
                if ((next & 0xC0) != 0x80) {
                    throw error(b, start, pos + i, String.format("invalid UTF-8 continuation byte 0x%02x after "
                            + "start byte 0x%02x", next, lead));
                }
            }
            if (name && lead == 0xED && (b[pos + 1] & 0xFF) >= 0xA0) { // as Jackson decodes names
                throw error(b, start, pos, String.format("invalid UTF-8 in a field name: encoded surrogate "
                        + "0x%04x", 0xD000 | (b[pos + 1] & 0x3F) << 6 | (b[pos + 2] & 0x3F)));
            }
            pos += more + 1;
            unescapedBytes += more + 1;
            shrink += more == 3 ? 2 : more; // 4 bytes are two UTF-16 units, 2 or 3 bytes one
        }
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** @return the position after the number that starts at {@code pos} */
    private static int number(byte[] b, int start, int pos, int end) {
        final int first = pos;
        if (b[pos] == '-') {
            pos++;
        }
        int digits = 0;
        if (pos == end || b[pos] < '0' || b[pos] > '9') {
            throw error(b, start, pos, ("unexpected " + describe(b, pos, end)) + ": expected a digit after '-'");
        }
        if (b[pos] == '0') {
            pos++;
            digits++;
            if (pos < end && b[pos] >= '0' && b[pos] <= '9') {
                throw error(b, start, first, "invalid number: leading zeroes are not allowed");
            }
        } else {
            int integer = skipDigits(b, pos, end);
            digits += integer - pos;
            pos = integer;
        }
        if (pos < end && b[pos] == '.') {
            int fraction = skipDigits(b, pos + 1, end) - (pos + 1);
            pos += 1 + fraction;
            if (fraction == 0) {
                throw error(b, start, pos, ("unexpected " + describe(b, pos, end)) + ": expected a digit after the decimal point");
            }
            digits += fraction;
        }
        if (pos < end && (b[pos] == 'e' || b[pos] == 'E')) {
            pos++;
            if (pos < end && (b[pos] == '+' || b[pos] == '-')) {
                pos++;
            }
            int exponent = skipDigits(b, pos, end) - pos;
            pos += exponent;
            if (exponent == 0) {
                throw error(b, start, pos, ("unexpected " + describe(b, pos, end)) + ": expected a digit in the exponent");
            }
            digits += exponent;
        }
        if (digits > MAX_NUMBER_DIGITS) {
            throw limit(b, start, first, "number of " + digits + " digits, more than the " + MAX_NUMBER_DIGITS
                    + " allowed (Metadata.MAX_NUMBER_LENGTH)");
        }
        return pos;
    }

    private static int skipDigits(byte[] b, int pos, int end) {
        while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
            pos++;
        }
        return pos;
    }

    /** @return the position after {@code word}, which must start at {@code pos} */
    private static int literal(byte[] b, int start, int pos, int end, String word) {
        int n = word.length();
        for (int i = 0; i < n; i++) {
            if (pos + i == end || b[pos + i] != word.charAt(i)) {
                int stop = pos;
                while (stop < end && stop - pos < 32
                        && (Character.isLetterOrDigit((char) (b[stop] & 0xFF)) || b[stop] == '_')) {
                    stop++;
                }
                String token = new String(b, pos, Math.max(stop, pos + 1) - pos, StandardCharsets.ISO_8859_1);
                throw error(b, start, pos, "unrecognized token '" + token + "': expected true, false or null");
            }
        }
        return pos + n;
    }

    private static String describe(byte[] b, int pos, int end) {
        if (pos == end) {
            return "end of input";
        }
        int c = b[pos] & 0xFF;
        return c >= 0x21 && c < 0x7F ? "character '" + (char) c + "'" : String.format("byte 0x%02x", c);
    }

    private static String printable(int c) {
        int u = c & 0xFF;
        return u >= 0x21 && u < 0x7F ? String.valueOf((char) u) : String.format("<0x%02x>", u);
    }

    /** A value over one of the limits, at {@code pos}. */
    private static Json.JsonSyntaxError limit(byte[] b, int start, int pos, String what) {
        Json.JsonSyntaxError e = error(b, start, pos, what);
        return new Json.JsonSyntaxError(what, e.line(), e.column(), e.offset(), true);
    }

    /** The error at {@code pos}, with its line and column (1-based, bytes; a line ends at LF, CR or CRLF). */
    private static Json.JsonSyntaxError error(byte[] b, int start, int pos, String what) {
        int line = 1;
        int lineStart = start;
        for (int i = start; i < pos; i++) {
            if (b[i] == '\n' || (b[i] == '\r' && (i + 1 >= pos || b[i + 1] != '\n'))) {
                line++;
                lineStart = i + 1;
            }
        }
        return new Json.JsonSyntaxError(what, line, pos - lineStart + 1, pos - start);
    }
}
