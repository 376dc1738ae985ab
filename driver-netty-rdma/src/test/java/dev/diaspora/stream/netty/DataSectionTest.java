package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A server reply's data section in pieces ({@link DataSection}): the bytes read into the targets it hands out come
 * back, in order, from its prefix and from its per-event slices, however the events fall across pieces; no buffer
 * is above {@link DataSection#PIECE} unless one event is; every buffer is released once the section and its slices
 * are.
 */
class DataSectionTest {
    private static final long BASE_SEED = Long.getLong("tck.seed", 0xDA7A5EC7L);

    @Test
    void bytesComeBackInOrderFromPrefixAndSlices() {
        SeededCases.forEachCase(BASE_SEED, "data section", 200, r -> {
            List<ByteBuf> allocated = new ArrayList<>();
            ByteBufAllocator alloc = new AbstractByteBufAllocator(false) {
                @Override
                protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                    return Unpooled.buffer(initialCapacity, maxCapacity);
                }

                @Override
                protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                    ByteBuf b = Unpooled.directBuffer(initialCapacity, maxCapacity);
                    allocated.add(b);
                    return b;
                }

                @Override
                public boolean isDirectBufferPooled() {
                    return false;
                }
            };
            int n = 1 + r.nextInt(60);
            int[] sizes = new int[n];
            long total = 0;
            for (int i = 0; i < n; i++) {
                sizes[i] = 1 + (r.nextInt(10) == 0 ? r.nextInt(2 * DataSection.PIECE) : r.nextInt(40_000));
                total += sizes[i];
            }
            DataSection s = new DataSection(alloc, total);
            byte[] expected = new byte[(int) total];
            r.nextBytes(expected);
            long[] at = new long[n];
            long pos = 0;
            for (int i = 0; i < n; i++) {
                ByteBuffer target = s.next(sizes[i]);
                assertEquals(sizes[i], target.remaining());
                target.put(expected, (int) pos, sizes[i]);
                at[i] = pos;
                pos += sizes[i];
            }
            for (ByteBuf b : allocated) {
                assertTrue(b.capacity() <= DataSection.PIECE || isSize(b.capacity(), sizes),
                        "buffer of " + b.capacity() + " bytes: above a piece, it holds one event");
            }
            int k = r.nextInt(n + 1);
            long prefixBytes = k == n ? total : at[k];
            List<Object> parts = new ArrayList<>();
            s.addPrefix(parts, prefixBytes);
            CompositeByteBuf prefix = alloc.compositeDirectBuffer(Math.max(2, parts.size()));
            for (Object o : parts) {
                prefix.addComponent(true, (ByteBuf) o);
            }
            assertEquals(prefixBytes, prefix.readableBytes());
            // compared in bulk: an assertion per byte (a message string each, and a component lookup of the
            // composite each) made this test take 9 minutes
            byte[] got = new byte[(int) prefixBytes];
            prefix.getBytes(0, got);
            assertArrayEquals(Arrays.copyOf(expected, (int) prefixBytes), got, "the prefix of " + prefixBytes
                    + " bytes");
            prefix.release();
            for (int i = 0; i < n; i++) {
                ByteBuf slice = s.slice(at[i], sizes[i]);
                byte[] event = new byte[sizes[i]];
                slice.getBytes(0, event);
                assertArrayEquals(Arrays.copyOfRange(expected, (int) at[i], (int) at[i] + sizes[i]), event,
                        "event " + i);
                slice.release();
            }
            s.release();
            for (ByteBuf b : allocated) {
                assertEquals(0, b.refCnt(), "every piece released");
            }
        });
    }

    private static boolean isSize(int capacity, int[] sizes) {
        for (int s : sizes) {
            if (s == capacity) {
                return true;
            }
        }
        return false;
    }
}
