package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.DataDescriptor.Range;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Unit tests of {@link DataDescriptor}: the C++ documented examples (single views), relative composition of stacked
 * views (a deliberate difference from C++), bounds, NONE, location and derivation.
 */
class DataDescriptorTest {
    private static final byte[] UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LOWER_UPPER =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".getBytes(StandardCharsets.US_ASCII);

    /** The bytes of {@code data} that {@code d} selects, in order, as a string. */
    static String select(DataDescriptor d, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Range r : d.flatten()) {
            out.write(data, (int) r.offset(), (int) r.size());
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    static DataDescriptor d(long size) {
        return DataDescriptor.of(0L, size);
    }

    static Range r(long offset, long size) {
        return new Range(offset, size);
    }

    @Nested
    class DocumentedExamples {
        @Test
        void stridedOnUpper() {
            DataDescriptor v = d(26).makeStridedView(1, 5, 2, 3);
            assertEquals("BCGHLMQRVW", select(v, UPPER));
            assertEquals(10, v.size());
            assertEquals(26, v.baseSize());
            assertEquals(1, v.depth());
        }

        @Test
        void unstructuredOnUpper() {
            // The C++ documentation prints "BCDHIJKLOPQR" for {{1,3},{7,5},{14,2}}, but (14,2) is two bytes, "OP":
            // the documented string is a typo (it needs (14,4)). 3 + 5 + 2 = 10 bytes.
            DataDescriptor v = d(26).makeUnstructuredView(List.of(r(1, 3), r(7, 5), r(14, 2)));
            assertEquals("BCDHIJKLOP", select(v, UPPER));
            assertEquals(10, v.size());
            DataDescriptor w = d(26).makeUnstructuredView(List.of(r(1, 3), r(7, 5), r(14, 4)));
            assertEquals("BCDHIJKLOPQR", select(w, UPPER));
            assertEquals(12, w.size());
        }

        @Test
        void subViewOnTwoSegments() {
            DataDescriptor v = d(52).makeSubView(13, 26);
            assertEquals("nopqrstuvwxyzABCDEFGHIJKLM", select(v, LOWER_UPPER));
            assertEquals(26, v.size());
            assertEquals(List.of(r(13, 26)), v.flatten());
        }

        @Test
        void stridedOnTwoSegments() {
            DataDescriptor v = d(52).makeStridedView(13, 3, 4, 2);
            assertEquals("nopqtuvwzABC", select(v, LOWER_UPPER));
            assertEquals(12, v.size());
        }

        @Test
        void unstructuredOnTwoSegments() {
            DataDescriptor v = d(52).makeUnstructuredView(r(3, 6), r(15, 4), r(27, 8));
            assertEquals("defghipqrsBCDEFGHI", select(v, LOWER_UPPER));
            assertEquals(18, v.size());
        }

        @Test
        void wholeDataFlattensToOneRange() {
            assertEquals(List.of(r(0, 52)), d(52).flatten());
            assertEquals(LOWER_UPPER.length, select(d(52), LOWER_UPPER).length());
        }

        /** test_data_descriptor.py. */
        @Test
        void pythonCases() {
            DataDescriptor base = DataDescriptor.of(7L, 1024);
            DataDescriptor sub = base.makeSubView(100, 200);
            assertEquals(200, sub.size());
            assertEquals(7L, sub.locationAsLong());
            assertEquals(List.of(r(100, 200)), sub.flatten());

            DataDescriptor strided = base.makeStridedView(0, 4, 64, 192);
            assertEquals(256, strided.size());
            assertEquals(7L, strided.locationAsLong());
            assertEquals(List.of(r(0, 64), r(256, 64), r(512, 64), r(768, 64)), strided.flatten());

            // C++ rejects this one (3 * 320 + 128 = 1088 > 1024); here the last block is cut at the end, like
            // makeSubView clamps: blocks at 0, 320, 640 and 960..1024.
            assertEquals(List.of(r(0, 128), r(320, 128), r(640, 128), r(960, 64)),
                    base.makeStridedView(0, 4, 128, 192).flatten());

            DataDescriptor un = base.makeUnstructuredView(r(0, 100), r(200, 100), r(400, 100));
            assertEquals(300, un.size());
            assertEquals(List.of(r(0, 100), r(200, 100), r(400, 100)), un.flatten());
        }
    }

    @Nested
    class Composition {
        @Test
        void subOfSubIsRelative() {
            DataDescriptor v = d(26).makeSubView(4, 8).makeSubView(2, 3);
            assertEquals(3, v.size());
            assertEquals(List.of(r(6, 3)), v.flatten());
            assertEquals("GHI", select(v, UPPER));
            assertEquals(2, v.depth());
        }

        @Test
        void stridedOfSubIsRelative() {
            DataDescriptor v = d(26).makeSubView(10, 16).makeStridedView(0, 3, 2, 3);
            assertEquals(6, v.size());
            assertEquals(List.of(r(10, 2), r(15, 2), r(20, 2)), v.flatten());
        }

        @Test
        void imageRectangleExample() {
            // A W x H image, one byte per pixel; the documentation's rectangle: x, y, w, h.
            int width = 10;
            int height = 8;
            int x = 3;
            int y = 2;
            int w = 4;
            int h = 3;
            DataDescriptor v = d((long) width * height).makeSubView((long) y * width + x, (long) width * h)
                    .makeStridedView(0, h, w, width - w);
            List<Range> expected = new ArrayList<>();
            for (int row = y; row < y + h; row++) {
                expected.add(r((long) row * width + x, w));
            }
            assertEquals(expected, v.flatten());
            assertEquals((long) w * h, v.size());
        }

        @Test
        void unstructuredOfStridedMapsAcrossBlocks() {
            // strided(1,5,2,3) on 26 = BC GH LM QR VW; view positions 0..9 -> base 1,2,6,7,11,12,16,17,21,22
            DataDescriptor s = d(26).makeStridedView(1, 5, 2, 3);
            DataDescriptor u = s.makeUnstructuredView(r(1, 2), r(5, 4));
            // view [1,3) -> base 2, 6 ; view [5,9) -> base 12, 16, 17, 21
            assertEquals("CGMQRV", select(u, UPPER));
            assertEquals(List.of(r(2, 1), r(6, 1), r(12, 1), r(16, 2), r(21, 1)), u.flatten());
            assertEquals(6, u.size());
        }

        @Test
        void subOfStridedThatSpansAGapIsSplit() {
            DataDescriptor v = d(26).makeStridedView(1, 5, 2, 3).makeSubView(1, 4);
            assertEquals("CGHL", select(v, UPPER));
            assertEquals(List.of(r(2, 1), r(6, 2), r(11, 1)), v.flatten());
        }

        @Test
        void stridedWithoutGapMergesIntoOneRange() {
            DataDescriptor v = d(26).makeStridedView(2, 4, 3, 0);
            assertEquals(List.of(r(2, 12)), v.flatten());
            assertEquals(12, v.size());
        }

        @Test
        void viewsThatReassembleAdjacentBaseRangesAreMerged() {
            // sub(5,10) then unstructured selecting everything in two adjacent parts.
            DataDescriptor v = d(26).makeSubView(5, 10).makeUnstructuredView(r(0, 4), r(4, 6));
            assertEquals(List.of(r(5, 10)), v.flatten());
        }
    }

    @Nested
    class SubView {
        @Test
        void truncatesToTheEnd() {
            DataDescriptor v = d(1024).makeSubView(900, 200);
            assertEquals(124, v.size());
            assertEquals(List.of(r(900, 124)), v.flatten());
        }

        @Test
        void offsetBeyondSizeIsClampedToAnEmptyView() {
            assertEquals(0, d(1024).makeSubView(1200, 200).size());
            assertEquals(List.of(), d(1024).makeSubView(1200, 200).flatten());
            assertEquals(0, d(26).makeSubView(27, 0).size());
            assertEquals(0, d(0).makeSubView(1, 0).size());
            assertEquals(0, d(26).makeSubView(10, 5).makeSubView(6, 1).size());
            assertTrue(d(26).makeSubView(27, 1).isDerivedFrom(d(26)));
        }

        @Test
        void offsetAtSizeGivesEmptyViewKeepingLocation() {
            DataDescriptor v = DataDescriptor.of(42L, 26).makeSubView(26, 5);
            assertEquals(0, v.size());
            assertEquals(List.of(), v.flatten());
            assertEquals(42L, v.locationAsLong());
            assertTrue(v.isDerivedFrom(DataDescriptor.of(42L, 26)));
        }

        @Test
        void zeroSizeSubView() {
            DataDescriptor v = d(26).makeSubView(3, 0);
            assertEquals(0, v.size());
            assertEquals(List.of(), v.flatten());
            // and further views of an empty view stay empty
            assertEquals(0, v.makeSubView(0, 10).size());
            assertEquals(List.of(), v.makeSubView(0, 10).flatten());
        }

        @Test
        void negativeValuesRejected() {
            assertThrows(IllegalArgumentException.class, () -> d(26).makeSubView(-1, 3));
            assertThrows(IllegalArgumentException.class, () -> d(26).makeSubView(1, -3));
        }

        @Test
        void hugeSizeIsClampedWithoutOverflow() {
            DataDescriptor v = d(26).makeSubView(5, Long.MAX_VALUE);
            assertEquals(21, v.size());
            assertEquals(List.of(r(5, 21)), v.flatten());
        }

        @Test
        void fullSubViewEqualsWhole() {
            DataDescriptor v = d(26).makeSubView(0, 26);
            assertEquals(d(26).flatten(), v.flatten());
        }
    }

    @Nested
    class StridedView {
        @ParameterizedTest(name = "size {0}: strided({1},{2},{3},{4})")
        @CsvSource({
            // exact fit, trailing gap past the end allowed
            "26, 1, 5, 2, 3",
            "10, 0, 2, 3, 4", // blocks at 0 and 7; 7+3 = 10; the trailing gap would end at 14
            "10, 7, 1, 3, 100", // one block that exactly reaches the end
            "10, 0, 1, 10, 0",
            "10, 0, 10, 1, 0",
            "52, 13, 3, 4, 2",
        })
        void boundIgnoresTheTrailingGap(long size, long off, long n, long bs, long gs) {
            DataDescriptor v = d(size).makeStridedView(off, n, bs, gs);
            assertEquals(n * bs, v.size());
            long sum = v.flatten().stream().mapToLong(Range::size).sum();
            assertEquals(n * bs, sum);
        }

        @ParameterizedTest(name = "size {0}: strided({1},{2},{3},{4}) past the end selects {5}")
        @CsvSource({
            "26, 5, 5, 2, 3, 'FG KL PQ UV Z'", // last block cut at the end
            "26, 7, 5, 2, 3, 'HI MN RS WX'", // C++'s own example shifted: the fifth block would start at 32
            "10, 0, 2, 3, 5, 'ABC IJ'",
            "10, 8, 1, 3, 0, 'IJ'",
            "10, 0, 11, 1, 0, 'ABCDEFGHIJ'",
            "10, 10, 1, 1, 0, ''",
            "10, 11, 1, 1, 0, ''",
            "0, 0, 1, 1, 0, ''",
            "10, 0, 3000000000000000000, 3000000000000000000, 0, 'ABCDEFGHIJ'", // overflow of the span
            "10, 9223372036854775807, 1, 1, 0, ''", // overflow of the end
            "10, 2, 2, 9223372036854775807, 9223372036854775807, 'CDEFGHIJ'", // overflow of the stride
        })
        void outOfRangeIsClampedToTheViewLikeSubView(long size, long off, long n, long bs, long gs, String want) {
            DataDescriptor v = d(size).makeStridedView(off, n, bs, gs);
            String got = "";
            for (Range x : v.flatten()) {
                got += (got.isEmpty() ? "" : " ") + new String(UPPER, (int) x.offset(), (int) x.size(),
                        StandardCharsets.US_ASCII);
            }
            assertEquals(want, got);
            assertEquals(want.replace(" ", "").length(), v.size());
        }

        @Test
        void negativeValuesRejected() {
            assertThrows(IllegalArgumentException.class, () -> d(26).makeStridedView(-1, 1, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> d(26).makeStridedView(0, -1, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> d(26).makeStridedView(0, 1, -1, 1));
            assertThrows(IllegalArgumentException.class, () -> d(26).makeStridedView(0, 1, 1, -1));
        }

        /**
         * A strided view is four numbers; storing it must not cost memory per block. Selecting one byte in eight of a
         * 1 GiB object (2^27 blocks, e.g. one column of a matrix) is a normal request from a selector, and must not
         * need gigabytes of heap in the descriptor (the test JVM runs with -Xmx1g).
         */
        @Test
        void shouldNotExpandLargeStridedViewsPerBlock() {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                long blocks = 1L << 27;
                DataDescriptor v;
                try {
                    v = d(1L << 30).makeStridedView(0, blocks, 1, 7);
                } catch (OutOfMemoryError e) {
                    fail("makeStridedView(0, 2^27, 1, 7) ran out of memory: strided views are expanded per block");
                    return;
                }
                assertEquals(blocks, v.size());
                assertEquals(List.of(r(0, 1), r(8, 1), r(16, 1)), v.makeSubView(0, 3).flatten());
            });
        }

        @Test
        void zeroBlocksOrZeroBlockSizeSelectNothing() {
            assertEquals(0, d(26).makeStridedView(3, 0, 5, 1).size());
            assertEquals(List.of(), d(26).makeStridedView(3, 0, 5, 1).flatten());
            assertEquals(0, d(26).makeStridedView(3, 4, 0, 1).size());
            assertEquals(List.of(), d(26).makeStridedView(3, 4, 0, 1).flatten());
            assertEquals(0, d(26).makeStridedView(26, 0, 5, 1).size());
            assertEquals(0, d(26).makeStridedView(27, 0, 5, 1).size()); // clamped, like makeSubView(27, 0)
        }
    }

    @Nested
    class UnstructuredView {
        @Test
        void overlappingRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d(26).makeUnstructuredView(r(1, 5), r(4, 2)));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        }

        @Test
        void unorderedRejected() {
            assertThrows(IllegalArgumentException.class, () -> d(26).makeUnstructuredView(r(10, 2), r(1, 2)));
            assertThrows(IllegalArgumentException.class, () -> d(26).makeUnstructuredView(r(10, 0), r(9, 0)));
        }

        @Test
        void outOfBoundsRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d(26).makeUnstructuredView(r(20, 7)));
            assertTrue(e.getMessage().contains("bounds"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> d(26).makeUnstructuredView(r(27, 0)));
            assertThrows(IllegalArgumentException.class, () -> d(26).makeUnstructuredView(r(0, 3), r(25, 2)));
            assertThrows(IllegalArgumentException.class,
                    () -> d(26).makeUnstructuredView(r(1, Long.MAX_VALUE)));
            assertThrows(IllegalArgumentException.class,
                    () -> d(26).makeUnstructuredView(r(Long.MAX_VALUE, Long.MAX_VALUE)));
        }

        @Test
        void adjacentRangesAreMerged() {
            DataDescriptor v = d(26).makeUnstructuredView(r(1, 3), r(4, 2), r(6, 1), r(10, 2));
            assertEquals(List.of(r(1, 6), r(10, 2)), v.flatten());
            assertEquals(8, v.size());
            assertEquals("BCDEFGKL", select(v, UPPER));
        }

        @Test
        void zeroSizeRangesSelectNothing() {
            DataDescriptor v = d(26).makeUnstructuredView(r(1, 0), r(1, 2), r(3, 0), r(3, 0), r(8, 1), r(26, 0));
            assertEquals(List.of(r(1, 2), r(8, 1)), v.flatten());
            assertEquals(3, v.size());
        }

        @Test
        void zeroSizeRangeBetweenAdjacentRangesStillMerges() {
            DataDescriptor v = d(26).makeUnstructuredView(r(1, 2), r(3, 0), r(3, 2));
            assertEquals(List.of(r(1, 4)), v.flatten());
        }

        @Test
        void emptyListSelectsNothing() {
            DataDescriptor v = d(26).makeUnstructuredView(List.of());
            assertEquals(0, v.size());
            assertEquals(List.of(), v.flatten());
            assertThrows(NullPointerException.class, () -> d(26).makeUnstructuredView((List<Range>) null));
        }

        @Test
        void rangeRejectsNegatives() {
            assertThrows(IllegalArgumentException.class, () -> r(-1, 2));
            assertThrows(IllegalArgumentException.class, () -> r(1, -2));
        }

        @Test
        void callerListIsNotRetained() {
            List<Range> ranges = new ArrayList<>(List.of(r(1, 2), r(5, 2)));
            DataDescriptor v = d(26).makeUnstructuredView(ranges);
            ranges.set(0, r(0, 1));
            assertEquals(List.of(r(1, 2), r(5, 2)), v.flatten());
        }
    }

    @Nested
    class NoneAndFlatten {
        @Test
        void none() {
            DataDescriptor n = DataDescriptor.NONE;
            assertEquals(0, n.size());
            assertEquals(0, n.baseSize());
            assertEquals(0, n.depth());
            assertEquals(0, n.location().length);
            assertEquals(List.of(), n.flatten());
            assertEquals(n, DataDescriptor.of(new byte[0], 0));
            assertEquals(n.hashCode(), DataDescriptor.of(new byte[0], 0).hashCode());
            assertThrows(IllegalStateException.class, n::locationAsLong);
            // NONE accepts the views that fit in 0 bytes
            assertEquals(0, n.makeSubView(0, 10).size());
            assertEquals(0, n.makeSubView(1, 0).size());
        }

        @Test
        void emptyBaseFlattensToNothing() {
            assertEquals(List.of(), d(0).flatten());
            List<Range> got = new ArrayList<>();
            d(0).flatten((o, s) -> got.add(r(o, s)));
            assertEquals(List.of(), got);
        }

        @Test
        void flattenResultIsUnmodifiable() {
            List<Range> f = d(26).flatten();
            assertThrows(UnsupportedOperationException.class, () -> f.add(r(0, 1)));
        }

        @Test
        void flattenConsumerMatchesList() {
            DataDescriptor v = d(52).makeStridedView(1, 6, 3, 5).makeSubView(2, 11);
            List<Range> got = new ArrayList<>();
            v.flatten((o, s) -> got.add(r(o, s)));
            assertEquals(v.flatten(), got);
        }

        @Test
        void negativeBaseSizeRejected() {
            assertThrows(IllegalArgumentException.class, () -> DataDescriptor.of(1L, -1));
            assertThrows(IllegalArgumentException.class, () -> DataDescriptor.of(new byte[] {1}, -1));
        }

        @Test
        void largeBaseSizes() {
            long big = 1L << 40;
            DataDescriptor v = d(big).makeSubView(big - 10, 100).makeStridedView(0, 2, 3, 2);
            assertEquals(List.of(r(big - 10, 3), r(big - 5, 3)), v.flatten());
            assertEquals(6, v.size());
        }
    }

    @Nested
    class LocationAndDerivation {
        @Test
        void longLocationRoundTrip() {
            for (long loc : new long[] {0, 1, -1, 42, Long.MIN_VALUE, Long.MAX_VALUE, 0x0102030405060708L}) {
                DataDescriptor d = DataDescriptor.of(loc, 10);
                assertEquals(loc, d.locationAsLong(), "location " + loc);
                assertEquals(8, d.location().length);
                assertEquals(loc, d.makeSubView(1, 2).makeStridedView(0, 1, 1, 0).locationAsLong());
            }
            // little-endian
            assertArrayEquals(new byte[] {8, 7, 6, 5, 4, 3, 2, 1},
                    DataDescriptor.of(0x0102030405060708L, 1).location());
        }

        @Test
        void byteLocationIsCopiedInAndOut() {
            byte[] loc = {1, 2, 3};
            DataDescriptor d = DataDescriptor.of(loc, 10);
            loc[0] = 99;
            assertArrayEquals(new byte[] {1, 2, 3}, d.location());
            d.location()[1] = 99;
            assertArrayEquals(new byte[] {1, 2, 3}, d.location());
            assertNotSame(d.location(), d.location());
            assertThrows(IllegalStateException.class, d::locationAsLong);
            assertThrows(NullPointerException.class, () -> DataDescriptor.of((byte[]) null, 1));
        }

        @Test
        void viewsDeriveFromTheirOrigin() {
            DataDescriptor d = DataDescriptor.of(5L, 100);
            DataDescriptor a = d.makeSubView(10, 50);
            DataDescriptor b = a.makeStridedView(0, 3, 4, 2);
            DataDescriptor c = b.makeUnstructuredView(r(1, 2), r(5, 3));
            for (DataDescriptor v : List.of(d, a, b, c)) {
                assertTrue(v.isDerivedFrom(d), v.toString());
                assertTrue(v.isDerivedFrom(v), v.toString());
            }
            assertTrue(c.isDerivedFrom(a));
            assertTrue(c.isDerivedFrom(b));
            // an equal but separately built descriptor counts as the origin
            assertTrue(c.isDerivedFrom(DataDescriptor.of(5L, 100)));
            assertTrue(c.isDerivedFrom(DataDescriptor.of(5L, 100).makeSubView(10, 50)));
        }

        @Test
        void originDoesNotDeriveFromItsViews() {
            DataDescriptor d = DataDescriptor.of(5L, 100);
            DataDescriptor a = d.makeSubView(10, 50);
            assertFalse(d.isDerivedFrom(a));
            assertFalse(a.isDerivedFrom(a.makeSubView(0, 50)));
        }

        @Test
        void otherLocationOrBaseSizeDoesNotDerive() {
            DataDescriptor d = DataDescriptor.of(5L, 100);
            assertFalse(DataDescriptor.of(6L, 100).isDerivedFrom(d));
            assertFalse(DataDescriptor.of(5L, 101).isDerivedFrom(d));
            assertFalse(DataDescriptor.of(6L, 100).makeSubView(0, 10).isDerivedFrom(d));
            assertFalse(DataDescriptor.of(new byte[] {5}, 100).isDerivedFrom(d));
            assertFalse(DataDescriptor.NONE.isDerivedFrom(d));
            assertFalse(d.makeSubView(0, 10).isDerivedFrom(DataDescriptor.NONE));
        }

        @Test
        void siblingViewsDoNotDeriveFromEachOther() {
            DataDescriptor d = DataDescriptor.of(5L, 100);
            DataDescriptor a = d.makeSubView(10, 50);
            DataDescriptor b = d.makeSubView(20, 50);
            assertFalse(a.isDerivedFrom(b));
            assertFalse(b.isDerivedFrom(a));
            assertFalse(a.makeSubView(0, 5).isDerivedFrom(b));
        }

        @Test
        void equalsAndHashCode() {
            DataDescriptor x = DataDescriptor.of(5L, 100).makeSubView(10, 50).makeStridedView(0, 3, 4, 2);
            DataDescriptor y = DataDescriptor.of(5L, 100).makeSubView(10, 50).makeStridedView(0, 3, 4, 2);
            assertEquals(x, y);
            assertEquals(x.hashCode(), y.hashCode());
            assertNotEquals(x, DataDescriptor.of(5L, 100).makeSubView(10, 50));
            assertNotEquals(DataDescriptor.of(5L, 100).makeSubView(10, 50), x);
            assertNotEquals(x, DataDescriptor.of(5L, 100).makeSubView(10, 50).makeStridedView(0, 3, 4, 3));
            assertNotEquals(x, null);
            assertNotEquals(x, "x");
            assertEquals(DataDescriptor.of(5L, 100), DataDescriptor.of(5L, 100));
            assertNotEquals(DataDescriptor.of(5L, 100), DataDescriptor.of(6L, 100));
        }

        @Test
        void viewsDoNotChangeTheOriginal() {
            DataDescriptor d = DataDescriptor.of(5L, 100);
            DataDescriptor a = d.makeSubView(10, 50);
            assertNotSame(d, a);
            assertEquals(100, d.size());
            assertEquals(0, d.depth());
            assertEquals(List.of(r(0, 100)), d.flatten());
            assertSame(DataDescriptor.NONE, DataDescriptor.NONE);
        }

        @Test
        void toStringNamesSizes() {
            String s = DataDescriptor.of(5L, 100).makeSubView(10, 50).toString();
            assertTrue(s.contains("50") && s.contains("100"), s);
        }
    }

    /** A descriptor of a long location (kept as a long, no array) and one of its 8 bytes are the same descriptor. */
    @Test
    void aLongLocationAndItsLittleEndianBytesAreTheSameDescriptor() {
        long loc = 0x0102030405060708L;
        byte[] le = {8, 7, 6, 5, 4, 3, 2, 1};
        DataDescriptor a = DataDescriptor.of(loc, 100);
        DataDescriptor b = DataDescriptor.of(le, 100);
        assertArrayEquals(le, a.location(), "the bytes of a long location, little-endian");
        assertEquals(loc, b.locationAsLong());
        assertEquals(loc, a.locationAsLong());
        assertEquals(a, b);
        assertEquals(b, a);
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(a.makeSubView(10, 20).isDerivedFrom(b), "a view of one is derived from the other");
        assertTrue(b.makeSubView(10, 20).isDerivedFrom(a));
        assertFalse(DataDescriptor.of(loc + 1, 100).isDerivedFrom(a), "another long location");
        a.location()[0] = 42; // a copy: the descriptor is unchanged
        assertEquals(loc, a.locationAsLong());
    }
}
