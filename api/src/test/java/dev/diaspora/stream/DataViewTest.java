package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unit and seeded property tests of {@link DataView}. The property test compares reads and writes at random offsets of
 * randomly segmented views with a flat byte array: the C++ {@code DataView::read/write} overran a segment when the
 * offset fell inside it, which the Java port fixes.
 */
class DataViewTest {
    static final long BASE_SEED = Long.getLong("tck.seed", 0xDA7A_11EEL);

    @BeforeAll
    static void printSeed() {
        System.out.println("DataViewTest: tck.seed=" + BASE_SEED);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static ByteBuffer buffer(String s, boolean direct) {
        byte[] b = ascii(s);
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(b.length) : ByteBuffer.allocate(b.length);
        buf.put(b).flip();
        return buf;
    }

    // ---------------------------------------------------------------------------------------------------- of(byte[])

    @Test
    void shouldWrapAByteArrayWithoutCopying() {
        byte[] b = ascii("hello");
        DataView v = DataView.of(b);
        assertEquals(5, v.size());
        assertEquals(1, v.segmentCount());
        assertFalse(v.isEmpty());
        assertFalse(v.isDirect());
        b[0] = 'j';
        assertArrayEquals(ascii("jello"), v.toByteArray());
        v.write(4, ascii("y"), 0, 1);
        assertEquals('y', b[4], "writes go to the caller's array");
    }

    @Test
    void shouldMapAnEmptyArrayToEmpty() {
        DataView v = DataView.of(new byte[0]);
        assertEquals(0, v.size());
        assertTrue(v.isEmpty());
        assertArrayEquals(new byte[0], v.toByteArray());
        assertThrows(NullPointerException.class, () -> DataView.of((byte[]) null));
    }

    // ------------------------------------------------------------------------------------------- of(ByteBuffer...)

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldCaptureEachBuffersPositionToLimitAsASlice(boolean direct) {
        ByteBuffer a = buffer("xxabcdeyy", direct);
        a.position(2).limit(7);
        ByteBuffer b = buffer("FGH", direct);
        DataView v = DataView.of(a, b);
        assertEquals(8, v.size());
        assertEquals(2, v.segmentCount());
        assertEquals(direct, v.isDirect());
        assertArrayEquals(ascii("abcdeFGH"), v.toByteArray());
        // the caller's buffers keep their position and limit, and changing them later does not affect the view
        assertEquals(2, a.position());
        assertEquals(7, a.limit());
        assertEquals(0, b.position());
        assertEquals(3, b.limit());
        a.position(0).limit(9);
        b.position(3);
        assertEquals(8, v.size());
        assertArrayEquals(ascii("abcdeFGH"), v.toByteArray());
        // but the bytes are shared, not copied
        a.put(2, (byte) 'A');
        assertArrayEquals(ascii("AbcdeFGH"), v.toByteArray());
        // each segment covers exactly its bytes
        ByteBuffer s0 = v.segment(0);
        assertEquals(5, s0.remaining());
        assertEquals('A', s0.get(s0.position()));
        assertEquals(List.of(v.segment(0), v.segment(1)), v.segments());
    }

    @Test
    void shouldNotChangeCallerBuffersOnReadWriteOrTrim() {
        ByteBuffer a = buffer("0123456789", false);
        a.position(1).limit(9);
        ByteBuffer b = buffer("abcdef", true);
        b.position(3);
        DataView v = DataView.of(a, b);
        v.read(0, new byte[11], 0, 11);
        v.write(3, ByteBuffer.wrap(ascii("ZZZZZZZZ")));
        v.trim(4).toByteArray();
        v.segments();
        v.isDirect();
        assertEquals(1, a.position());
        assertEquals(9, a.limit());
        assertEquals(3, b.position());
        assertEquals(6, b.limit());
        assertArrayEquals(ascii("123ZZZZZZZZ"), v.toByteArray());
        assertEquals("0123ZZZZZ9", new String(a.array(), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldMixHeapAndDirectSegments() {
        DataView v = DataView.of(buffer("abc", false), buffer("def", true), buffer("ghi", false));
        assertFalse(v.isDirect());
        assertArrayEquals(ascii("abcdefghi"), v.toByteArray());
        byte[] dst = new byte[5];
        assertEquals(5, v.read(2, dst, 0, 5));
        assertArrayEquals(ascii("cdefg"), dst);
        assertTrue(DataView.of(buffer("abc", true), buffer("def", true)).isDirect());
    }

    @Test
    void shouldKeepZeroLengthSegments() {
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer drained = buffer("zzz", false);
        drained.position(3);
        DataView v = DataView.of(empty, buffer("ab", false), drained, ByteBuffer.allocateDirect(0),
                buffer("cd", true), ByteBuffer.allocate(0));
        assertEquals(6, v.segmentCount());
        assertEquals(4, v.size());
        assertArrayEquals(ascii("abcd"), v.toByteArray());
        for (int off = 0; off <= 4; off++) {
            for (int len = 0; off + len <= 4; len++) {
                byte[] dst = new byte[len];
                assertEquals(len, v.read(off, dst, 0, len), "read(" + off + "," + len + ")");
                assertArrayEquals(Arrays.copyOfRange(ascii("abcd"), off, off + len), dst, "read(" + off + "," + len
                        + ")");
            }
        }
        assertEquals(2, v.write(1, ascii("XY"), 0, 2));
        assertArrayEquals(ascii("aXYd"), v.toByteArray());
        DataView allEmpty = DataView.of(ByteBuffer.allocate(0), ByteBuffer.allocate(0));
        assertEquals(0, allEmpty.size());
        assertTrue(allEmpty.isEmpty());
        assertEquals(0, allEmpty.read(0, new byte[3], 0, 3));
    }

    @Test
    void shouldAcceptListsAndRejectNulls() {
        DataView v = DataView.of(List.of(buffer("ab", false), buffer("cd", true)));
        assertArrayEquals(ascii("abcd"), v.toByteArray());
        assertThrows(NullPointerException.class, () -> DataView.of((ByteBuffer[]) null));
        assertThrows(NullPointerException.class, () -> DataView.of(buffer("a", false), null));
        assertSame(DataView.EMPTY, DataView.of(new ByteBuffer[0]));
    }

    @Test
    void shouldNotExposeAModifiableSegmentList() {
        DataView v = DataView.of(buffer("ab", false));
        assertThrows(UnsupportedOperationException.class, () -> v.segments().set(0, ByteBuffer.allocate(1)));
        assertThrows(UnsupportedOperationException.class, () -> v.segments().add(ByteBuffer.allocate(1)));
    }

    @Test
    void shouldFailToWriteIntoReadOnlyBuffers() {
        DataView v = DataView.of(buffer("abc", false).asReadOnlyBuffer());
        assertArrayEquals(ascii("abc"), v.toByteArray());
        assertThrows(ReadOnlyBufferException.class, () -> v.write(0, ascii("x"), 0, 1));
    }

    // ------------------------------------------------------------------------------------------------- read / write

    @Test
    void shouldReadAndWriteAcrossSegmentBoundariesAtEveryOffset() {
        String text = "abcdefghijklmnopqrstuvwxyz";
        // segments of 1, 2, 3, 4, 5, 6, 5 bytes
        int[] sizes = {1, 2, 3, 4, 5, 6, 5};
        for (boolean direct : new boolean[] {false, true}) {
            for (int off = 0; off <= text.length(); off++) {
                for (int len = 0; len <= text.length() - off + 3; len++) {
                    DataView v = segmented(text, sizes, direct);
                    byte[] dst = new byte[len];
                    int want = Math.min(len, text.length() - off);
                    String what = "direct=" + direct + " read(" + off + ", " + len + ")";
                    assertEquals(want, v.read(off, dst, 0, len), what);
                    assertEquals(text.substring(off, off + want),
                            new String(dst, 0, want, StandardCharsets.US_ASCII), what);
                    for (int k = want; k < len; k++) {
                        assertEquals(0, dst[k], what + ": bytes past the end of the view must not be written");
                    }

                    byte[] src = new byte[len];
                    Arrays.fill(src, (byte) '#');
                    what = "direct=" + direct + " write(" + off + ", " + len + ")";
                    assertEquals(want, v.write(off, src, 0, len), what);
                    String expected = text.substring(0, off) + "#".repeat(want) + text.substring(off + want);
                    assertEquals(expected, new String(v.toByteArray(), StandardCharsets.US_ASCII), what);
                }
            }
        }
    }

    @Test
    void shouldHonourDestinationAndSourceOffsets() {
        DataView v = segmented("abcdefgh", new int[] {3, 5}, false);
        byte[] dst = ascii("..........");
        assertEquals(4, v.read(2, dst, 3, 4));
        assertEquals("...cdef...", new String(dst, StandardCharsets.US_ASCII));
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(0, new byte[4], 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(0, new byte[4], -1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(0, new byte[4], 0, -1));

        assertEquals(3, v.write(1, ascii("0123456"), 2, 3));
        assertArrayEquals(ascii("a234efgh"), v.toByteArray());
        assertThrows(IndexOutOfBoundsException.class, () -> v.write(0, new byte[2], 1, 2));
    }

    @Test
    void shouldNotMoveTheSourceBufferOnWrite() {
        DataView v = segmented("abcdefgh", new int[] {2, 2, 4}, true);
        ByteBuffer src = ByteBuffer.wrap(ascii("--XYZ--"));
        src.position(2).limit(5);
        assertEquals(3, v.write(1, src));
        assertEquals(2, src.position());
        assertEquals(5, src.limit());
        assertArrayEquals(ascii("aXYZefgh"), v.toByteArray());
        ByteBuffer direct = ByteBuffer.allocateDirect(4).put(ascii("1234")).flip();
        assertEquals(2, v.write(6, direct));
        assertEquals(0, direct.position());
        assertArrayEquals(ascii("aXYZef12"), v.toByteArray());
    }

    @Test
    void shouldReturnFewerBytesAtTheEnd() {
        DataView v = segmented("abcdef", new int[] {4, 2}, false);
        byte[] dst = new byte[10];
        assertEquals(3, v.read(3, dst, 0, 10));
        assertEquals(0, v.read(6, dst, 0, 10), "reading at the end gives 0 bytes");
        assertEquals(2, v.write(4, ascii("XYZ"), 0, 3));
        assertArrayEquals(ascii("abcdXY"), v.toByteArray());
        assertEquals(0, v.write(6, ascii("Q"), 0, 1));
    }

    @Test
    void shouldRejectOffsetsOutsideTheView() {
        DataView v = segmented("abcdef", new int[] {4, 2}, false);
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(-1, new byte[1], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(7, new byte[1], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(Long.MAX_VALUE, new byte[1], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> v.read(Long.MIN_VALUE, new byte[1], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> v.write(-1, ascii("x"), 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> v.write(7, ByteBuffer.wrap(ascii("x"))));
        assertThrows(IndexOutOfBoundsException.class, () -> DataView.EMPTY.read(1, new byte[1], 0, 1));
        assertArrayEquals(ascii("abcdef"), v.toByteArray(), "a failed call changes nothing");
    }

    // ------------------------------------------------------------------------------------------------- trim, EMPTY

    @Test
    void shouldTrimWithoutCopying() {
        ByteBuffer a = buffer("abcd", false);
        ByteBuffer b = buffer("efgh", true);
        DataView v = DataView.of(a, b);
        DataView t = v.trim(6);
        assertEquals(6, t.size());
        assertEquals(2, t.segmentCount());
        assertArrayEquals(ascii("abcdef"), t.toByteArray());
        assertEquals(2, t.segment(1).remaining());
        t.write(5, ascii("F"), 0, 1);
        assertEquals('F', b.get(1), "trimmed view shares the bytes");
        assertArrayEquals(ascii("abcdeFgh"), v.toByteArray(), "the original view keeps its size");

        DataView t4 = v.trim(4);
        assertEquals(1, t4.segmentCount(), "segments past the cut are dropped");
        assertArrayEquals(ascii("abcd"), t4.toByteArray());
        assertEquals(0, v.trim(0).size());
        assertSame(v, v.trim(8));
        assertThrows(IllegalArgumentException.class, () -> v.trim(9));
        assertThrows(IllegalArgumentException.class, () -> v.trim(-1));
        assertEquals(0, a.position());
        assertEquals(4, a.limit());
    }

    @Test
    void shouldTrimSegmentsThatStartAfterAPosition() {
        ByteBuffer a = buffer("__abcd", false);
        a.position(2);
        DataView v = DataView.of(a, buffer("ef", false));
        assertArrayEquals(ascii("abc"), v.trim(3).toByteArray());
        assertArrayEquals(ascii("abcde"), v.trim(5).toByteArray());
    }

    @Test
    void shouldProvideAnEmptyView() {
        DataView e = DataView.EMPTY;
        assertEquals(0, e.size());
        assertTrue(e.isEmpty());
        assertEquals(0, e.segmentCount());
        assertEquals(List.of(), e.segments());
        assertArrayEquals(new byte[0], e.toByteArray());
        assertEquals(0, e.read(0, new byte[4], 0, 4));
        assertEquals(0, e.write(0, ascii("abc"), 0, 3));
        assertSame(e, e.trim(0));
        e.release(); // no hook: nothing happens
        assertTrue(e.toString().contains("0"), e.toString());
    }

    // ------------------------------------------------------------------------------------------------- release hook

    @Test
    void shouldRunTheReleaseHookExactlyOnce() {
        AtomicInteger runs = new AtomicInteger();
        DataView v = DataView.of(runs::incrementAndGet, buffer("abc", false));
        assertEquals(0, runs.get(), "creating a view does not release it");
        assertArrayEquals(ascii("abc"), v.toByteArray());
        v.release();
        assertEquals(1, runs.get());
        v.release();
        v.release();
        assertEquals(1, runs.get());
    }

    @Test
    @Timeout(10)
    void shouldRunTheReleaseHookOnceUnderConcurrentRelease() throws Exception {
        for (int round = 0; round < 50; round++) {
            AtomicInteger runs = new AtomicInteger();
            DataView v = DataView.of(runs::incrementAndGet, buffer("abc", true));
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    v.release();
                });
                t.start();
                threads.add(t);
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(1, runs.get(), "round " + round);
        }
    }

    @Test
    void shouldAllowAHookWithoutSegmentsAndNoHook() {
        AtomicInteger runs = new AtomicInteger();
        DataView v = DataView.of(runs::incrementAndGet);
        assertEquals(0, v.size());
        v.release();
        v.release();
        assertEquals(1, runs.get());
        DataView noHook = DataView.of((Runnable) null, buffer("a", false));
        noHook.release();
        assertArrayEquals(ascii("a"), noHook.toByteArray(), "release does not touch the bytes");
    }

    @Test
    void trimmedViewKeepsTheHook() {
        AtomicInteger runs = new AtomicInteger();
        DataView v = DataView.of(runs::incrementAndGet, buffer("abcdef", false));
        DataView t = v.trim(3);
        t.release();
        assertEquals(1, runs.get(), "releasing the trimmed view runs the original's hook");
    }

    /**
     * The hook belongs to the buffers, not to one DataView object: a view and its trimmed copies share it, and it must
     * run once however many of them are released (as the C++ shared callback runs once for all copies).
     * {@code trim(size())} already shares it (it returns {@code this}); a shorter trim must too.
     */
    @Test
    void shouldRunTheHookOnceForAViewAndItsTrimmedCopies() {
        AtomicInteger runs = new AtomicInteger();
        DataView v = DataView.of(runs::incrementAndGet, buffer("abcdef", false));
        DataView same = v.trim(6);
        DataView t = v.trim(3);
        DataView tt = t.trim(1);
        v.release();
        same.release();
        t.release();
        tt.release();
        assertEquals(1, runs.get(), "the release hook ran " + runs.get() + " times for one set of buffers");
    }

    @Test
    void toStringNamesSizeAndSegments() {
        String s = segmented("abcdef", new int[] {4, 2}, false).toString();
        assertTrue(s.contains("6") && s.contains("2"), s);
    }

    // ------------------------------------------------------------------------------------------------- property test

    /** Splits {@code text} into heap or direct segments of the given sizes (the last takes any remainder). */
    static DataView segmented(String text, int[] sizes, boolean direct) {
        byte[] b = ascii(text);
        List<ByteBuffer> segs = new ArrayList<>();
        int p = 0;
        for (int i = 0; i < sizes.length; i++) {
            int n = i == sizes.length - 1 ? b.length - p : sizes[i];
            ByteBuffer s = direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
            s.put(b, p, n).flip();
            segs.add(s);
            p += n;
        }
        return DataView.of(segs);
    }

    /**
     * Random byte arrays split into random segments (heap, direct, zero-length, sliced from a larger buffer with a
     * non-zero position), then random reads and writes compared with a flat byte[] model.
     */
    @Test
    @Timeout(30)
    void shouldMatchAFlatArrayForRandomSegmentationsReadsAndWrites() {
        for (int caseNo = 0; caseNo < 500; caseNo++) {
            long seed = new SplittableRandom(BASE_SEED ^ (0x9E3779B97F4A7C15L * (caseNo + 1))).nextLong();
            try {
                runSegmentationCase(caseNo, seed);
            } catch (RuntimeException e) {
                throw new AssertionError("[tck.seed=" + BASE_SEED + ", case " + caseNo + ", case seed " + seed
                        + "] unexpected " + e, e);
            }
        }
    }

    static void runSegmentationCase(int caseNo, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int size = rnd.nextInt(4) == 0 ? rnd.nextInt(8) : rnd.nextInt(600);
        byte[] model = new byte[size];
        rnd.nextBytes(model);
        // random cut points, with repetition (zero-length segments)
        int nseg = 1 + rnd.nextInt(8);
        int[] cuts = new int[nseg - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = rnd.nextInt(size + 1);
        }
        Arrays.sort(cuts);
        List<ByteBuffer> segs = new ArrayList<>();
        StringBuilder layout = new StringBuilder();
        int prev = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int end = i < cuts.length ? cuts[i] : size;
            int n = end - prev;
            int pad = rnd.nextInt(3) == 0 ? rnd.nextInt(1, 5) : 0; // padding before and after, outside the view
            boolean direct = rnd.nextBoolean();
            ByteBuffer big = direct ? ByteBuffer.allocateDirect(n + 2 * pad) : ByteBuffer.allocate(n + 2 * pad);
            for (int k = 0; k < pad; k++) {
                big.put(k, (byte) 0x55);
                big.put(pad + n + k, (byte) 0x55);
            }
            big.put(pad, model, prev, n);
            big.position(pad).limit(pad + n);
            segs.add(big);
            layout.append(direct ? "D" : "H").append(n).append(pad > 0 ? "+pad" + pad : "").append(' ');
            prev = end;
        }
        DataView v = DataView.of(segs);
        String where = "[tck.seed=" + BASE_SEED + ", case " + caseNo + ", case seed " + seed + ", size " + size
                + ", segments " + layout + "]";
        assertEquals(size, v.size(), where);
        assertArrayEquals(model, v.toByteArray(), where);
        for (int op = 0; op < 40; op++) {
            int off = rnd.nextInt(size + 1);
            int len = rnd.nextInt(size - off + 3);
            int want = Math.min(len, size - off);
            int opNo = op;
            Supplier<String> what;
            if (rnd.nextBoolean()) {
                int dstOff = rnd.nextInt(3);
                byte[] dst = new byte[dstOff + len + 2];
                what = () -> where + " op " + opNo + ": read(" + off + ", dst, " + dstOff + ", " + len + ")";
                assertEquals(want, v.read(off, dst, dstOff, len), what);
                assertArrayEquals(Arrays.copyOfRange(model, off, off + want),
                        Arrays.copyOfRange(dst, dstOff, dstOff + want), what);
                for (int k = 0; k < dst.length; k++) {
                    if (k < dstOff || k >= dstOff + want) {
                        assertEquals(0, dst[k], what);
                    }
                }
            } else {
                byte[] src = new byte[len];
                rnd.nextBytes(src);
                what = () -> where + " op " + opNo + ": write(" + off + ", " + len + " bytes)";
                int got = rnd.nextBoolean() ? v.write(off, src, 0, len) : v.write(off, ByteBuffer.wrap(src));
                assertEquals(want, got, what);
                System.arraycopy(src, 0, model, off, want);
                assertArrayEquals(model, v.toByteArray(), what);
            }
        }
        // padding outside each segment's [position, limit) was never touched
        for (ByteBuffer big : segs) {
            ByteBuffer all = big.duplicate().clear(); // absolute gets are bounded by the limit
            for (int k = 0; k < big.position(); k++) {
                assertEquals(0x55, all.get(k), where + ": byte before a segment was overwritten");
            }
            for (int k = big.limit(); k < big.capacity(); k++) {
                assertEquals(0x55, all.get(k), where + ": byte after a segment was overwritten");
            }
        }
        // trimming at a random size gives the model's prefix
        int cut = rnd.nextInt(size + 1);
        assertArrayEquals(Arrays.copyOf(model, cut), v.trim(cut).toByteArray(), where + " trim(" + cut + ")");
    }
}
