package dev.diaspora.stream.redis;

import io.lettuce.core.output.CommandOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An {@code XRANGE} answer of a partition stream parsed straight from the reply, as Lettuce reads it: per entry its
 * id, its metadata (the one copy of a value the client makes) and its numeric fields {@code t}, {@code z},
 * {@code k}, {@code v} read as numbers in place, with no string, map or buffer made for field names, ids or numbers (Lettuce's
 * own stream output builds a map and several objects per entry, which at 100 B events cost the client more than the
 * server spends on the command).
 *
 * <p>Relies on the reply's shape, the same in RESP2 and RESP3: an array of entries, each an array of the id and an
 * array of field names and values.
 *
 * <p>Thread safety: filled by the connection's I/O thread, then read by the thread that awaited the command (the
 * future's completion orders the two).
 */
final class RedisRangeOutput extends CommandOutput<String, Object, RedisRangeOutput> {
    /** A field the entry does not have. */
    static final long MISSING = -2;
    /** A field that is not a non-negative decimal number. */
    static final long NOT_A_NUMBER = -1;

    private static final int TOP = 0;
    private static final int ENTRY = 1;
    private static final int ID = 2;
    private static final int FIELDS = 3;
    private static final int PAIRS = 4;

    private int phase = TOP;
    private int left; // field names and values left in the current entry
    private int field; // the field whose value comes next: 0 m, 1 t, 2 z, 3 k, 4 v, -1 another, -2 a name next

    private int size;
    private long[] seq = new long[0]; // per entry, N of the id 0-N, or -1 for another form
    private String[] otherIds; // per entry, the id when not of the form 0-N (rare: another program wrote it)
    private ByteBuffer[] m = new ByteBuffer[0];
    private long[] t = new long[0];
    private long[] z = new long[0];
    private long[] k = new long[0];
    private long[] v = new long[0];

    RedisRangeOutput() {
        super(RedisCodecs.CODEC, null);
        output = this;
    }

    /** @return the number of entries */
    int size() {
        return size;
    }

    /** @return entry {@code i}'s id as text */
    String id(int i) {
        return seq[i] >= 0 ? "0-" + seq[i] : otherIds[i];
    }

    /** @return the N of entry {@code i}'s id {@code 0-N}, or -1 if it has another form */
    long seq(int i) {
        return seq[i];
    }

    /** @return entry {@code i}'s metadata (a heap buffer), or null if missing */
    ByteBuffer metadata(int i) {
        return m[i];
    }

    /**
     * @return entry {@code i}'s field {@code t}, {@code z}, {@code k} or {@code v} ({@code name} 1, 2, 3, 4), or a
     *     negative code
     */
    long number(int i, int name) {
        return switch (name) {
            case 1 -> t[i];
            case 2 -> z[i];
            case 3 -> k[i];
            default -> v[i];
        };
    }

    @Override
    public void multi(int count) {
        switch (phase) {
            case TOP -> {
                grow(Math.max(count, 0));
                phase = ENTRY;
            }
            case ENTRY -> phase = ID;
            case FIELDS -> {
                left = count;
                field = -2;
                phase = count > 0 ? PAIRS : ENTRY;
            }
            default -> {
                // a nested array inside an entry's fields: not a shape Redis answers XRANGE with
                setError("an XRANGE answer of an unexpected shape");
            }
        }
    }

    @Override
    public void set(ByteBuffer bytes) {
        switch (phase) {
            case ID -> {
                if (size == seq.length) {
                    grow(Math.max(16, 2 * size));
                }
                int i = size++;
                seq[i] = entrySeq(bytes);
                if (seq[i] < 0) {
                    if (otherIds == null) {
                        otherIds = new String[seq.length];
                    }
                    otherIds[i] = bytes == null ? "(nil)" : StandardCharsets.UTF_8.decode(bytes).toString();
                }
                m[i] = null;
                t[i] = MISSING;
                z[i] = MISSING;
                k[i] = MISSING;
                v[i] = MISSING;
                phase = FIELDS;
            }
            case FIELDS -> phase = ENTRY; // a nil field list
            case PAIRS -> {
                int i = size - 1;
                if (field == -2) {
                    field = fieldName(bytes);
                } else {
                    if (bytes != null) {
                        switch (field) {
                            case 0 -> m[i] = (ByteBuffer) RedisCodecs.CODEC.decodeValue(bytes);
                            case 1 -> t[i] = digits(bytes);
                            case 2 -> z[i] = digits(bytes);
                            case 3 -> k[i] = digits(bytes);
                            case 4 -> v[i] = digits(bytes);
                            default -> {
                            }
                        }
                    }
                    field = -2;
                }
                if (--left == 0) {
                    phase = ENTRY;
                }
            }
            default -> {
            }
        }
    }

    private void grow(int capacity) {
        seq = Arrays.copyOf(seq, capacity);
        m = Arrays.copyOf(m, capacity);
        t = Arrays.copyOf(t, capacity);
        z = Arrays.copyOf(z, capacity);
        k = Arrays.copyOf(k, capacity);
        v = Arrays.copyOf(v, capacity);
        if (otherIds != null) {
            otherIds = Arrays.copyOf(otherIds, capacity);
        }
    }

    /** @return 0 to 4 for the field names {@code m}, {@code t}, {@code z}, {@code k}, {@code v}; -1 for any other */
    private static int fieldName(ByteBuffer b) {
        if (b == null || b.remaining() != 1) {
            return -1;
        }
        return switch (b.get(b.position())) {
            case 'm' -> 0;
            case 't' -> 1;
            case 'z' -> 2;
            case 'k' -> 3;
            case 'v' -> 4;
            default -> -1;
        };
    }

    /** @return N of an id {@code 0-N}, or -1 */
    private static long entrySeq(ByteBuffer b) {
        if (b == null || b.remaining() < 3 || b.get(b.position()) != '0' || b.get(b.position() + 1) != '-') {
            return -1;
        }
        return digits(b.slice(b.position() + 2, b.remaining() - 2));
    }

    /** @return the non-negative decimal number {@code b} holds, or {@link #NOT_A_NUMBER} */
    static long digits(ByteBuffer b) {
        int n = b.remaining();
        if (n == 0 || n > 19) {
            return NOT_A_NUMBER;
        }
        long v = 0;
        for (int i = b.position(); i < b.limit(); i++) {
            int d = b.get(i) - '0';
            if (d < 0 || d > 9) {
                return NOT_A_NUMBER;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
