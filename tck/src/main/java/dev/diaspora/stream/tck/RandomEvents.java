package dev.diaspora.stream.tck;

import dev.diaspora.stream.DataView;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded generators of the property-style tests: JSON metadata text (nested objects and arrays, strings with
 * escapes and unicode, numbers of every spelling, random whitespace) and data (random bytes split into heap and
 * direct segments whose windows do not start at 0). Everything is a function of the generator, so a seed replays a
 * failure. Not API.
 */
final class RandomEvents {
    private static final String ESCAPES = "\"\\/bfnrt";
    private static final String WHITESPACE = " \t\n\r";

    private RandomEvents() {
    }

    /** @return a JSON object text whose first field is {@code "case": caseIndex} */
    static String metadata(SplittableRandom r, int caseIndex) {
        StringBuilder b = new StringBuilder();
        if (r.nextInt(10) == 0) {
            whitespace(r, b);
        }
        b.append('{');
        whitespace(r, b);
        b.append("\"case\"");
        whitespace(r, b);
        b.append(':');
        whitespace(r, b);
        b.append(caseIndex);
        int fields = r.nextInt(6);
        for (int i = 0; i < fields; i++) {
            whitespace(r, b);
            b.append(',');
            whitespace(r, b);
            key(r, b, i);
            whitespace(r, b);
            b.append(':');
            whitespace(r, b);
            value(r, b, 0);
        }
        whitespace(r, b);
        b.append('}');
        if (r.nextInt(10) == 0) {
            whitespace(r, b);
        }
        return b.toString();
    }

    private static void whitespace(SplittableRandom r, StringBuilder b) {
        if (r.nextInt(4) == 0) {
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                b.append(WHITESPACE.charAt(r.nextInt(WHITESPACE.length())));
            }
        }
    }

    private static void key(SplittableRandom r, StringBuilder b, int index) {
        b.append("\"k").append(index).append('_');
        chars(r, b, r.nextInt(6));
        b.append('"');
    }

    private static void value(SplittableRandom r, StringBuilder b, int depth) {
        int kind = r.nextInt(depth < 3 ? 7 : 5);
        switch (kind) {
            case 0:
            case 1:
                b.append('"');
                chars(r, b, r.nextInt(24));
                b.append('"');
                break;
            case 2:
            case 3:
                number(r, b);
                break;
            case 4:
                b.append(new String[] {"true", "false", "null"}[r.nextInt(3)]);
                break;
            case 5: {
                b.append('{');
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        b.append(',');
                    }
                    whitespace(r, b);
                    key(r, b, i);
                    b.append(':');
                    value(r, b, depth + 1);
                }
                whitespace(r, b);
                b.append('}');
                break;
            }
            default: {
                b.append('[');
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        b.append(',');
                    }
                    whitespace(r, b);
                    value(r, b, depth + 1);
                }
                whitespace(r, b);
                b.append(']');
            }
        }
    }

    private static void number(SplittableRandom r, StringBuilder b) {
        switch (r.nextInt(8)) {
            case 0:
                b.append(r.nextBoolean() ? "0" : "-0");
                break;
            case 1:
                b.append(r.nextInt(-1000, 1000));
                break;
            case 2:
                b.append(r.nextLong());
                break;
            case 3:
                b.append(r.nextInt(-999, 1000)).append('.').append(r.nextInt(1, 100000));
                break;
            case 4:
                b.append(1 + r.nextInt(9)).append('.').append(r.nextInt(1000)).append(r.nextBoolean() ? 'e' : 'E')
                        .append(new String[] {"", "+", "-"}[r.nextInt(3)]).append(r.nextInt(1, 300));
                break;
            case 5:
                b.append(1 + r.nextInt(9));
                for (int i = 0; i < 24; i++) {
                    b.append(r.nextInt(10));
                }
                break;
            case 6:
                b.append("-0.").append(r.nextInt(100)).append("e-").append(r.nextInt(1, 20));
                break;
            default:
                b.append(r.nextDouble());
        }
    }

    /** Appends {@code n} JSON string characters: plain, escaped, \\u-escaped, raw non-ASCII and astral. */
    private static void chars(SplittableRandom r, StringBuilder b, int n) {
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(10)) {
                case 0:
                    b.append('\\').append(ESCAPES.charAt(r.nextInt(ESCAPES.length())));
                    break;
                case 1:
                    b.append(String.format("\\u%04x", bmpNonSurrogate(r)));
                    break;
                case 2: {
                    int cp = r.nextInt(0x10000, 0x110000);
                    b.append(String.format("\\u%04X\\u%04X", (int) Character.highSurrogate(cp),
                            (int) Character.lowSurrogate(cp)));
                    break;
                }
                case 3:
                    b.append((char) bmpNonSurrogateAbove(r, 0x80));
                    break;
                case 4:
                    b.appendCodePoint(r.nextInt(0x10000, 0x110000));
                    break;
                case 5:
                    b.append(String.format("\\u%04x", r.nextInt(0x20)));
                    break;
                default:
                    char c;
                    do {
                        c = (char) r.nextInt(0x20, 0x7f);
                    } while (c == '"' || c == '\\');
                    b.append(c);
            }
        }
    }

    private static int bmpNonSurrogate(SplittableRandom r) {
        int c;
        do {
            c = r.nextInt(0x10000);
        } while (c >= 0xD800 && c <= 0xDFFF);
        return c;
    }

    private static int bmpNonSurrogateAbove(SplittableRandom r, int min) {
        int c;
        do {
            c = r.nextInt(min, 0x10000);
        } while ((c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF);
        return c;
    }

    /** @return random bytes: 15% none, then sizes up to 256 B, 8 KiB and {@code maxSize} */
    static byte[] data(SplittableRandom r, int maxSize) {
        int p = r.nextInt(100);
        int size;
        if (p < 15) {
            size = 0;
        } else if (p < 50) {
            size = 1 + r.nextInt(Math.min(256, maxSize));
        } else if (p < 85) {
            size = 1 + r.nextInt(Math.min(8192, maxSize));
        } else {
            size = 1 + r.nextInt(maxSize);
        }
        byte[] out = new byte[size];
        r.nextBytes(out);
        return out;
    }

    /**
     * Splits {@code bytes} into 0 to 5 segments (zero-length segments included), each heap or direct, each the
     * [position, limit) window of a larger buffer full of other bytes.
     */
    static DataView segments(SplittableRandom r, byte[] bytes, List<String> shape) {
        if (bytes.length == 0 && r.nextBoolean()) {
            shape.add("EMPTY");
            return DataView.EMPTY;
        }
        int k = bytes.length == 0 ? 1 + r.nextInt(2) : 1 + r.nextInt(5);
        int[] cuts = new int[k + 1];
        cuts[k] = bytes.length;
        for (int i = 1; i < k; i++) {
            cuts[i] = r.nextInt(bytes.length + 1);
        }
        Arrays.sort(cuts, 1, k);
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int len = cuts[i + 1] - cuts[i];
            int pre = r.nextInt(3) == 0 ? 0 : r.nextInt(16);
            int post = r.nextInt(16);
            boolean direct = r.nextBoolean();
            ByteBuffer b = direct ? ByteBuffer.allocateDirect(pre + len + post) : ByteBuffer.allocate(pre + len + post);
            byte[] junk = new byte[pre + len + post];
            r.nextBytes(junk);
            System.arraycopy(bytes, cuts[i], junk, pre, len);
            b.put(junk);
            b.position(pre).limit(pre + len);
            buffers.add(b);
            shape.add((direct ? "direct" : "heap") + "[" + len + "]");
        }
        return DataView.of(buffers.toArray(new ByteBuffer[0]));
    }
}
