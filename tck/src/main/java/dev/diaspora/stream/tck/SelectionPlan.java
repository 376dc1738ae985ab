package dev.diaspora.stream.tck;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataDescriptor.Range;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * A random data selection for the property-style tests, and its brute-force model: the selection returned by a
 * selector (all, NONE, null, or a stack of 1 to 3 sub, strided and unstructured views whose parameters are drawn from
 * the size of the view they refine), applied both to a {@link DataDescriptor} and, by plain array copies, to the
 * original bytes. Views compose: each one's offsets are relative to the view below it. Not API.
 */
final class SelectionPlan {
    private enum Kind { ALL, NONE, NULL, VIEWS }

    /** One view: 's' sub (o, n), 't' strided (o, n, bs, gs), 'u' unstructured (o0, n0, o1, n1, ...). */
    private static final class View {
        final char type;
        final long[] args;

        View(char type, long... args) {
            this.type = type;
            this.args = args;
        }

        DataDescriptor apply(DataDescriptor d) {
            switch (type) {
                case 's':
                    return d.makeSubView(args[0], args[1]);
                case 't':
                    return d.makeStridedView(args[0], args[1], args[2], args[3]);
                default:
                    List<Range> ranges = new ArrayList<>();
                    for (int i = 0; i < args.length; i += 2) {
                        ranges.add(new Range(args[i], args[i + 1]));
                    }
                    return d.makeUnstructuredView(ranges);
            }
        }

        byte[] apply(byte[] v) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            switch (type) {
                case 's': {
                    int o = (int) args[0];
                    int n = (int) Math.min(args[1], v.length - o);
                    out.write(v, o, n);
                    break;
                }
                case 't':
                    for (long i = 0; i < args[1]; i++) {
                        out.write(v, (int) (args[0] + i * (args[2] + args[3])), (int) args[2]);
                    }
                    break;
                default:
                    for (int i = 0; i < args.length; i += 2) {
                        out.write(v, (int) args[i], (int) args[i + 1]);
                    }
            }
            return out.toByteArray();
        }

        @Override
        public String toString() {
            String name = type == 's' ? "sub" : type == 't' ? "strided" : "unstructured";
            return name + Arrays.toString(args);
        }
    }

    private final Kind kind;
    private final List<View> views;
    private final byte[] expected;

    private SelectionPlan(Kind kind, List<View> views, byte[] expected) {
        this.kind = kind;
        this.views = views;
        this.expected = expected;
    }

    /**
     * Draws a selection for {@code data}: 10% all, 5% NONE, 5% null, else {@code minDepth} to {@code maxDepth}
     * stacked views.
     */
    static SelectionPlan random(SplittableRandom r, byte[] data, int minDepth, int maxDepth) {
        int p = r.nextInt(100);
        if (p < 10) {
            return new SelectionPlan(Kind.ALL, List.of(), data);
        } else if (p < 15) {
            return new SelectionPlan(Kind.NONE, List.of(), new byte[0]);
        } else if (p < 20) {
            return new SelectionPlan(Kind.NULL, List.of(), new byte[0]);
        }
        int depth = minDepth + r.nextInt(maxDepth - minDepth + 1);
        List<View> views = new ArrayList<>();
        byte[] current = data;
        for (int i = 0; i < depth; i++) {
            View v = randomView(r, current.length);
            views.add(v);
            current = v.apply(current);
        }
        return new SelectionPlan(Kind.VIEWS, views, current);
    }

    private static View randomView(SplittableRandom r, int size) {
        int type = size == 0 ? 0 : r.nextInt(3);
        if (type == 0) {
            long o = r.nextInt(size + 1);
            long n = r.nextInt(4) == 0 ? size - o + r.nextInt(100) : r.nextLong(size - o + 1);
            return new View('s', o, n);
        }
        if (type == 1) {
            long bs = 1 + r.nextInt(Math.min(size, 64));
            long gs = r.nextInt(Math.min(size, 64) + 1);
            long o = r.nextLong(size - bs + 1);
            long maxBlocks = (size - o - bs) / (bs + gs) + 1;
            long n = 1 + r.nextLong(Math.min(maxBlocks, 256));
            return new View('t', o, n, bs, gs);
        }
        List<Long> args = new ArrayList<>();
        int k = 1 + r.nextInt(5);
        long pos = 0;
        for (int i = 0; i < k && pos < size; i++) {
            long left = size - pos;
            long start = pos + r.nextLong(Math.max(1, left / 2));
            if (start >= size) {
                break;
            }
            long len = 1 + r.nextLong(Math.max(1, (size - start) / 2));
            len = Math.min(len, size - start);
            args.add(start);
            args.add(len);
            pos = start + len;
        }
        if (args.isEmpty()) {
            args.add(0L);
            args.add(1L);
        }
        return new View('u', args.stream().mapToLong(Long::longValue).toArray());
    }

    /** @return what the selector returns for {@code whole} (possibly null) */
    DataDescriptor select(DataDescriptor whole) {
        switch (kind) {
            case ALL:
                return whole;
            case NONE:
                return DataDescriptor.NONE;
            case NULL:
                return null;
            default:
                DataDescriptor d = whole;
                for (View v : views) {
                    d = v.apply(d);
                }
                return d;
        }
    }

    /** @return the bytes the selection must deliver, computed from the original bytes */
    byte[] expected() {
        return expected;
    }

    @Override
    public String toString() {
        return kind == Kind.VIEWS ? views.stream().map(View::toString).collect(Collectors.joining(" then "))
                : kind.name();
    }
}
