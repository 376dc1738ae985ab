package dev.diaspora.stream.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diaspora.stream.InvalidMetadataException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON text as the C++ library writes it (nlohmann::json {@code dump()}): the bytes a C++ producer stores in a v0
 * topic, so that a Java-written topic is byte for byte what C++ would write for the same values.
 *
 * <ul>
 *   <li>object keys sorted by their UTF-8 bytes (nlohmann's object is a {@code std::map<std::string, ...>}); of
 *       duplicate keys the last one wins;</li>
 *   <li>compact: no spaces ({@link #compact}); or indented by 2 with {@code ": "} and no trailing newline
 *       ({@link #pretty}, the component files);</li>
 *   <li>strings as raw UTF-8; escaped: {@code "}, {@code \}, {@code \b \f \n \r \t}, other characters below 0x20 as
 *       {@code \}{@code u00xx} (lower-case hex);</li>
 *   <li>integers that fit a signed or unsigned 64-bit integer as they are; other numbers as doubles, with the
 *       shortest digits that read back to the same double, fixed-point for 1e-4 &lt;= |v| &lt; 1e15 (always with a
 *       {@code .}: {@code 2.0}), else {@code d.ddde+XX} with at least two exponent digits ({@code 1e+20},
 *       {@code 1e-05}).</li>
 * </ul>
 *
 * <p>Doubles: nlohmann prints Grisu2 digits, which are the shortest round-trip digits for all but a tiny fraction of
 * doubles; for those few the two may differ in the last digit (both read back to the same double).
 *
 * <p>Thread safety: stateless, thread-safe.
 */
final class V0Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private V0Json() {
    }

    /**
     * Parses JSON text and writes it as nlohmann's compact {@code dump()}.
     *
     * @throws InvalidMetadataException if the text is not JSON
     */
    static byte[] compact(ByteBuffer utf8) {
        return write(parse(utf8), -1);
    }

    /** @return {@code node} as nlohmann's {@code dump(2)}: the component files of a topic */
    static byte[] pretty(JsonNode node) {
        return write(node, 2);
    }

    static JsonNode parse(ByteBuffer utf8) {
        byte[] b;
        int off;
        int len = utf8.remaining();
        if (utf8.hasArray()) {
            b = utf8.array();
            off = utf8.arrayOffset() + utf8.position();
        } else {
            b = new byte[len];
            utf8.duplicate().get(b);
            off = 0;
        }
        try {
            JsonNode n = MAPPER.readTree(b, off, len);
            if (n == null || n.isMissingNode()) {
                throw new InvalidMetadataException("empty metadata: give a JSON value");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new InvalidMetadataException("metadata is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidMetadataException("metadata is not JSON: " + e.getMessage());
        }
    }

    private static byte[] write(JsonNode node, int indent) {
        StringBuilder b = new StringBuilder(64);
        value(node, b, indent, 0);
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void value(JsonNode n, StringBuilder b, int indent, int level) {
        switch (n.getNodeType()) {
            case OBJECT -> object(n, b, indent, level);
            case ARRAY -> array(n, b, indent, level);
            case STRING -> string(n.textValue(), b);
            case BOOLEAN -> b.append(n.booleanValue());
            case NUMBER -> number(n, b);
            default -> b.append("null"); // NULL; BINARY, POJO and MISSING never come from parsing text
        }
    }

    private static void object(JsonNode n, StringBuilder b, int indent, int level) {
        if (n.isEmpty()) {
            b.append("{}");
            return;
        }
        List<Map.Entry<byte[], JsonNode>> fields = new ArrayList<>(n.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            fields.add(Map.entry(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue()));
        }
        fields.sort((x, y) -> Arrays.compareUnsigned(x.getKey(), y.getKey()));
        b.append('{');
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            newline(b, indent, level + 1);
            string(new String(fields.get(i).getKey(), StandardCharsets.UTF_8), b);
            b.append(indent >= 0 ? ": " : ":");
            value(fields.get(i).getValue(), b, indent, level + 1);
        }
        newline(b, indent, level);
        b.append('}');
    }

    private static void array(JsonNode n, StringBuilder b, int indent, int level) {
        if (n.isEmpty()) {
            b.append("[]");
            return;
        }
        b.append('[');
        for (int i = 0; i < n.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            newline(b, indent, level + 1);
            value(n.get(i), b, indent, level + 1);
        }
        newline(b, indent, level);
        b.append(']');
    }

    private static void newline(StringBuilder b, int indent, int level) {
        if (indent >= 0) {
            b.append('\n');
            b.append(" ".repeat(indent * level));
        }
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 15]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static void number(JsonNode n, StringBuilder b) {
        if (n.isIntegralNumber()) {
            if (n.canConvertToLong()) {
                b.append(n.longValue());
                return;
            }
            BigInteger v = n.bigIntegerValue();
            if (v.signum() > 0 && v.compareTo(U64_MAX) <= 0) {
                b.append(v);
                return;
            }
            // nlohmann reads an integer beyond 64 bits as a double
        }
        doubleValue(n.doubleValue(), b);
    }

    /** Appends {@code d} as nlohmann's {@code dump()} does. */
    static void doubleValue(double d, StringBuilder b) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            b.append("null");
            return;
        }
        if (Math.signum(d) < 0 || (d == 0 && 1 / d < 0)) {
            b.append('-');
            d = -d;
        }
        if (d == 0) {
            b.append("0.0");
            return;
        }
        BigDecimal shortest = shortest(d);
        String digits = shortest.unscaledValue().toString();
        int len = digits.length();
        while (len > 1 && digits.charAt(len - 1) == '0') {
            len--;
        }
        digits = digits.substring(0, len);
        // value = digits * 10^(decimalExponent)
        int decimalExponent = -shortest.scale() + (shortest.unscaledValue().toString().length() - len);
        int k = len;
        int n = k + decimalExponent; // position of the decimal point relative to the digits
        if (k <= n && n <= 15) {
            b.append(digits).append("0".repeat(n - k)).append(".0");
        } else if (0 < n && n <= 15) {
            b.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-4 < n && n <= 0) {
            b.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            b.append(digits.charAt(0));
            if (k > 1) {
                b.append('.').append(digits, 1, k);
            }
            int e = n - 1;
            b.append('e').append(e < 0 ? '-' : '+');
            e = Math.abs(e);
            if (e < 10) {
                b.append('0');
            }
            b.append(e);
        }
    }

    /** @return the decimal with the fewest significant digits (closest among them) that reads back as {@code d} */
    private static BigDecimal shortest(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int p = 1; p < 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) {
                return r;
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
    }
}
