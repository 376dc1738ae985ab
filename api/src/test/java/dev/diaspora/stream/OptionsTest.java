package dev.diaspora.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of {@link StartAt}, {@link BatchSize}, {@link ProducerOptions} and {@link ConsumerOptions}. */
class OptionsTest {

    /** Asserts {@code call} throws IllegalArgumentException whose message names {@code option}. */
    static IllegalArgumentException rejects(String option, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run, option);
        assertTrue(e.getMessage().contains(option), "message must name '" + option + "': " + e.getMessage());
        return e;
    }

    /** Asserts {@code call} throws NullPointerException whose message names {@code option}. */
    static void rejectsNull(String option, Runnable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call::run, option);
        assertNotNull(e.getMessage(), option);
        assertTrue(e.getMessage().contains(option), "message must name '" + option + "': " + e.getMessage());
    }

    // --------------------------------------------------------------------------------------------------- StartAt

    @Nested
    class StartAtTest {
        @Test
        void shouldParseEveryForm() {
            assertSame(StartAt.EARLIEST, StartAt.parse("earliest"));
            assertSame(StartAt.EARLIEST, StartAt.parse("EARLIEST"));
            assertSame(StartAt.LATEST, StartAt.parse("latest"));
            assertSame(StartAt.LATEST, StartAt.parse("  Latest\t"));
            assertEquals(StartAt.id(0), StartAt.parse("id:0"));
            assertEquals(StartAt.id(42), StartAt.parse("id:42"));
            assertEquals(StartAt.id(Long.MAX_VALUE), StartAt.parse("id:" + Long.MAX_VALUE));
            assertEquals(StartAt.Kind.ID, StartAt.parse(" id:7 ").kind());
            assertEquals(7, StartAt.parse("id:7").id());
            Instant t = Instant.parse("2024-01-02T03:04:05Z");
            assertEquals(StartAt.time(t), StartAt.parse("time:2024-01-02T03:04:05Z"));
            assertEquals(StartAt.Kind.TIME, StartAt.parse("time:2024-01-02T03:04:05Z").kind());
            assertEquals(t, StartAt.parse("time:2024-01-02T03:04:05Z").time());
            assertEquals(t, StartAt.parse("time:2024-01-02T04:04:05+01:00").time(), "an offset");
            assertEquals(Instant.parse("2024-01-02T03:04:00Z"), StartAt.parse("time:2024-01-02T03:04Z").time(),
                    "seconds optional");
            assertEquals(Instant.parse("2024-01-02T03:04:05.123456789Z"),
                    StartAt.parse("time:2024-01-02T03:04:05.123456789Z").time());
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "", "   ", "first", "earliest!", "early", "id:", "id:-1", "id:abc", "id:1.5", "id: 5",
            "id:9223372036854775808", "time:", "time:yesterday", "time:2024-01-02", "time:2024-13-01T00:00:00Z", "5",
            "id", "time",
        })
        void shouldRejectBadFormsListingTheAcceptedOnes(String text) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StartAt.parse(text));
            String m = e.getMessage();
            for (String form : new String[] {"earliest", "latest", "id:N", "time:ISO-8601"}) {
                assertTrue(m.contains(form), "message must list '" + form + "': " + m);
            }
            assertTrue(m.contains("'" + text + "'"), "message must quote the input: " + m);
        }

        @Test
        void shouldRejectNegativeIdsAndNullTimes() {
            assertThrows(IllegalArgumentException.class, () -> StartAt.id(-1));
            assertThrows(NullPointerException.class, () -> StartAt.time(null));
        }

        @Test
        void shouldRoundTripThroughToString() {
            for (StartAt s : new StartAt[] {StartAt.EARLIEST, StartAt.LATEST, StartAt.id(0), StartAt.id(123),
                StartAt.time(Instant.parse("2030-06-07T08:09:10.5Z"))}) {
                assertEquals(s, StartAt.parse(s.toString()), s.toString());
            }
            assertEquals("earliest", StartAt.EARLIEST.toString());
            assertEquals("latest", StartAt.LATEST.toString());
            assertEquals("id:5", StartAt.id(5).toString());
        }

        @Test
        void shouldCompareByValue() {
            assertEquals(StartAt.id(3), StartAt.id(3));
            assertEquals(StartAt.id(3).hashCode(), StartAt.id(3).hashCode());
            assertNotEquals(StartAt.id(3), StartAt.id(4));
            assertNotEquals(StartAt.EARLIEST, StartAt.LATEST);
            assertNotEquals(StartAt.EARLIEST, StartAt.id(0));
            Instant t = Instant.ofEpochSecond(1000);
            assertEquals(StartAt.time(t), StartAt.time(Instant.ofEpochSecond(1000)));
            assertNotEquals(StartAt.time(t), StartAt.time(t.plusNanos(1)));
            assertNull(StartAt.EARLIEST.time());
            assertNull(StartAt.id(1).time());
            assertEquals(StartAt.Kind.EARLIEST, StartAt.EARLIEST.kind());
            assertEquals(StartAt.Kind.LATEST, StartAt.LATEST.kind());
        }
    }

    // ------------------------------------------------------------------------------------------------- BatchSize

    @Nested
    class BatchSizeTest {
        @Test
        void shouldRejectNonPositiveSizes() {
            for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchSize.of(bad));
                assertTrue(e.getMessage().contains("batch size") && e.getMessage().contains(Integer.toString(bad)),
                        e.getMessage());
            }
        }

        @Test
        void shouldHoldFixedAndAdaptiveSizes() {
            BatchSize b = BatchSize.of(32);
            assertFalse(b.isAdaptive());
            assertEquals(32, b.valueOr(512));
            assertEquals(1, BatchSize.of(1).valueOr(7));
            assertEquals(Integer.MAX_VALUE, BatchSize.of(Integer.MAX_VALUE).valueOr(7));
            assertTrue(BatchSize.adaptive().isAdaptive());
            assertEquals(512, BatchSize.adaptive().valueOr(512));
            assertSame(BatchSize.adaptive(), BatchSize.adaptive());
            assertEquals(BatchSize.of(32), BatchSize.of(32));
            assertEquals(BatchSize.of(32).hashCode(), BatchSize.of(32).hashCode());
            assertNotEquals(BatchSize.of(32), BatchSize.of(33));
            assertNotEquals(BatchSize.of(32), BatchSize.adaptive());
            assertEquals("32", BatchSize.of(32).toString());
            assertEquals("adaptive", BatchSize.adaptive().toString());
        }
    }

    // ------------------------------------------------------------------------------------------ ProducerOptions

    @Nested
    class ProducerOptionsTest {
        @Test
        void onErrorDefaultsToNoneAndIsKeptByTheOtherSetters() {
            ProducerOptions p = ProducerOptions.named("app1");
            assertNull(p.onError());
            PushErrorHandler h = (partition, md, error) -> { };
            ProducerOptions with = p.onError(h);
            assertNull(p.onError(), "immutable");
            assertSame(h, with.maxInFlightBatches(3).linger(java.time.Duration.ofMillis(5)).name("x").onError());
            assertNull(with.onError(null).onError());
        }

        @Test
        void shouldHaveTheDocumentedDefaults() {
            ProducerOptions d = ProducerOptions.defaults();
            assertEquals("", d.name());
            assertTrue(d.batchSize().isAdaptive());
            assertEquals(2, d.maxInFlightBatches());
            assertEquals(Ordering.STRICT, d.ordering());
            assertNull(d.threadPool());
            assertEquals(ProducerOptions.BackPressure.BLOCK, d.backPressure());
            assertEquals(Duration.ofSeconds(60), d.maxBlock());
            assertEquals(65_536, d.maxPendingEvents());
            assertEquals(64L << 20, d.maxPendingBytes());
            assertEquals(4L << 20, d.maxBatchBytes());
            assertEquals(Duration.ZERO, d.linger());
            assertEquals(Duration.ofSeconds(30), d.closeTimeout());
            assertEquals("app1", ProducerOptions.named("app1").name());
            assertEquals(2, ProducerOptions.named("app1").maxInFlightBatches());
        }

        static Stream<Arguments> setters() {
            ThreadPool pool = ThreadPool.inline();
            return Stream.of(
                    setter("name", o -> o.name("p2"), o -> o.name(), "p2"),
                    setter("batchSize", o -> o.batchSize(BatchSize.of(128)), o -> o.batchSize(), BatchSize.of(128)),
                    setter("maxInFlightBatches", o -> o.maxInFlightBatches(7), o -> o.maxInFlightBatches(), 7),
                    setter("threadPool", o -> o.threadPool(pool), o -> o.threadPool(), pool),
                    setter("backPressure", o -> o.backPressure(ProducerOptions.BackPressure.FAIL_FAST),
                            o -> o.backPressure(), ProducerOptions.BackPressure.FAIL_FAST),
                    setter("maxBlock", o -> o.maxBlock(Duration.ofMillis(5)), o -> o.maxBlock(), Duration.ofMillis(5)),
                    setter("maxBlock zero", o -> o.maxBlock(Duration.ZERO), o -> o.maxBlock(), Duration.ZERO),
                    setter("maxPendingEvents", o -> o.maxPendingEvents(1), o -> o.maxPendingEvents(), 1),
                    setter("maxPendingBytes", o -> o.maxPendingBytes(1L << 40), o -> o.maxPendingBytes(), 1L << 40),
                    setter("maxBatchBytes", o -> o.maxBatchBytes(1), o -> o.maxBatchBytes(), 1L),
                    setter("linger", o -> o.linger(Duration.ofMillis(3)), o -> o.linger(), Duration.ofMillis(3)),
                    setter("closeTimeout", o -> o.closeTimeout(Duration.ZERO), o -> o.closeTimeout(), Duration.ZERO));
        }

        static Arguments setter(String what, Function<ProducerOptions, ProducerOptions> set,
                Function<ProducerOptions, Object> get, Object value) {
            return Arguments.of(what, set, get, value);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("setters")
        void shouldReturnANewInstanceAndLeaveTheOriginal(String what, Function<ProducerOptions, ProducerOptions> set,
                Function<ProducerOptions, Object> get, Object value) {
            ProducerOptions original = ProducerOptions.named("orig").maxInFlightBatches(3).maxPendingEvents(77);
            String before = original.toString();
            Object oldValue = get.apply(original);
            ProducerOptions changed = set.apply(original);
            assertNotSame(original, changed, what);
            assertEquals(value, get.apply(changed), what);
            assertEquals(oldValue, get.apply(original), what + ": the original is unchanged");
            assertEquals(before, original.toString(), what);
            // the other values are carried over
            if (!what.equals("name")) {
                assertEquals("orig", changed.name(), what);
            }
            if (!what.equals("maxInFlightBatches")) {
                assertEquals(3, changed.maxInFlightBatches(), what);
            }
            if (!what.equals("maxPendingEvents")) {
                assertEquals(77, changed.maxPendingEvents(), what);
            }
        }

        @Test
        void shouldCarryEveryValueThroughAChain() {
            ThreadPool pool = ThreadPool.inline();
            ProducerOptions o = ProducerOptions.named("x").batchSize(BatchSize.of(9)).maxInFlightBatches(4)
                    .ordering(Ordering.STRICT).threadPool(pool).backPressure(ProducerOptions.BackPressure.FAIL_FAST)
                    .maxBlock(Duration.ofSeconds(2)).maxPendingEvents(10).maxPendingBytes(1000).maxBatchBytes(100)
                    .linger(Duration.ofMillis(1)).closeTimeout(Duration.ofSeconds(3));
            assertEquals("x", o.name());
            assertEquals(BatchSize.of(9), o.batchSize());
            assertEquals(4, o.maxInFlightBatches());
            assertEquals(Ordering.STRICT, o.ordering());
            assertSame(pool, o.threadPool());
            assertEquals(ProducerOptions.BackPressure.FAIL_FAST, o.backPressure());
            assertEquals(Duration.ofSeconds(2), o.maxBlock());
            assertEquals(10, o.maxPendingEvents());
            assertEquals(1000, o.maxPendingBytes());
            assertEquals(100, o.maxBatchBytes());
            assertEquals(Duration.ofMillis(1), o.linger());
            assertEquals(Duration.ofSeconds(3), o.closeTimeout());
            assertNull(o.threadPool(null).threadPool(), "null thread pool means the driver's default");
        }

        /** LOOSE was accepted and never honoured: it is refused, and the message says what to do instead. */
        @Test
        @SuppressWarnings("removal")
        void looseOrderingIsRefusedNamingWhatToUseInstead() {
            ProducerOptions o = ProducerOptions.named("p");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.ordering(Ordering.LOOSE));
            for (String part : new String[] {"LOOSE", "STRICT", "remove", "threadPool", "maxInFlightBatches"}) {
                assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
            }
            assertSame(Ordering.STRICT, o.ordering(Ordering.STRICT).ordering());
        }

        /** The old name forwards to the new one, and is refused with its own name for a bad value. */
        @Test
        @SuppressWarnings("removal")
        void maxNumBatchesIsTheDeprecatedNameOfMaxInFlightBatches() {
            ProducerOptions o = ProducerOptions.named("p").maxNumBatches(5);
            assertEquals(5, o.maxInFlightBatches());
            assertEquals(5, o.maxNumBatches());
            rejects("maxNumBatches", () -> o.maxNumBatches(0));
        }

        @Test
        void shouldRejectBadValuesNamingTheOption() {
            ProducerOptions o = ProducerOptions.defaults();
            for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
                rejects("maxInFlightBatches", () -> o.maxInFlightBatches(bad));
                rejects("maxPendingEvents", () -> o.maxPendingEvents(bad));
                rejects("maxPendingBytes", () -> o.maxPendingBytes(bad));
                rejects("maxBatchBytes", () -> o.maxBatchBytes(bad));
            }
            rejects("maxPendingBytes", () -> o.maxPendingBytes(Long.MIN_VALUE));
            rejects("maxBlock", () -> o.maxBlock(Duration.ofMillis(-1)));
            rejects("linger", () -> o.linger(Duration.ofNanos(-1)));
            rejects("closeTimeout", () -> o.closeTimeout(Duration.ofSeconds(-5)));
            rejectsNull("maxBlock", () -> o.maxBlock(null));
            rejectsNull("linger", () -> o.linger(null));
            rejectsNull("closeTimeout", () -> o.closeTimeout(null));
            rejectsNull("name", () -> o.name(null));
            rejectsNull("name", () -> ProducerOptions.named(null));
            rejectsNull("batchSize", () -> o.batchSize(null));
            rejectsNull("ordering", () -> o.ordering(null));
            rejectsNull("backPressure", () -> o.backPressure(null));
            // the message also names the bad value
            assertTrue(rejects("maxInFlightBatches", () -> o.maxInFlightBatches(-3)).getMessage().contains("-3"));
            // and a failed call leaves the defaults alone
            assertEquals(2, ProducerOptions.defaults().maxInFlightBatches());
        }
    }

    // ------------------------------------------------------------------------------------------ ConsumerOptions

    @Nested
    class ConsumerOptionsTest {
        @Test
        void unreadableEventPolicyDefaultsToFailAndIsKeptByTheOtherSetters() {
            ConsumerOptions c = ConsumerOptions.named("app2");
            assertSame(UnreadableEventPolicy.FAIL, c.onUnreadableEvent());
            ConsumerOptions skip = c.onUnreadableEvent(UnreadableEventPolicy.SKIP);
            assertSame(UnreadableEventPolicy.FAIL, c.onUnreadableEvent(), "immutable");
            assertSame(UnreadableEventPolicy.SKIP, skip.maxPrefetchBatches(3).targets(1).onUnreadableEvent());
            assertTrue(skip.toString().contains("onUnreadableEvent=SKIP"), skip.toString());
            assertThrows(NullPointerException.class, () -> c.onUnreadableEvent(null));
        }

        @Test
        void shouldHaveTheDocumentedDefaults() {
            ConsumerOptions c = ConsumerOptions.named("app2");
            assertEquals("app2", c.name());
            assertNull(c.targets(), "all partitions");
            assertSame(StartAt.EARLIEST, c.startAt());
            assertSame(DataSelector.ALL, c.dataSelector());
            assertNotNull(c.dataAllocator());
            assertTrue(c.batchSize().isAdaptive());
            assertEquals(512, ConsumerOptions.ADAPTIVE_READ_BATCH);
            assertEquals(2, c.maxPrefetchBatches());
            assertEquals(64L << 20, c.maxPrefetchBytes());
            assertEquals(Duration.ofSeconds(1), c.ackInterval());
        }

        @ParameterizedTest
        @ValueSource(strings = {"", ".", "..", "a/b", "/abs", "a\\b", "line\nbreak", "tab\there", "nul\0", "del\u007f",
            "cr\r"})
        void shouldRejectNamesThatAreNotSafeFileNames(String name) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> ConsumerOptions.named(name));
            assertTrue(e.getMessage().contains("consumer name"), e.getMessage());
        }

        @Test
        void shouldLimitNamesTo200Characters() {
            assertEquals(200, ConsumerOptions.named("n".repeat(200)).name().length());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ConsumerOptions.named("n".repeat(201)));
            assertTrue(e.getMessage().contains("200"), e.getMessage());
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "a", "app-1.consumer_2", "...", ".hidden", "a..b", "café", "名前", "with space", "x:y",
        })
        void shouldAcceptOtherNames(String name) {
            assertEquals(name, ConsumerOptions.named(name).name());
        }

        @Test
        void shouldRejectNullName() {
            rejectsNull("consumer name", () -> ConsumerOptions.named(null));
        }

        /**
         * The Javadoc of {@code named} promises to reject "a control character"; Unicode control characters include
         * the C1 range U+0080..U+009F ({@link Character#isISOControl}), e.g. NEL U+0085, a line break for many tools.
         */
        @ParameterizedTest
        @ValueSource(strings = {"nel\u0085", "csi\u009b", "pad\u0080"})
        void shouldRejectC1ControlCharacters(String name) {
            assertThrows(IllegalArgumentException.class, () -> ConsumerOptions.named(name),
                    "a name with U+" + Integer.toHexString(name.charAt(name.length() - 1)));
        }

        @Test
        void shouldSortTargetsAndCopyTheArrays() {
            int[] in = {5, 0, 3};
            ConsumerOptions c = ConsumerOptions.named("c").targets(in);
            assertArrayEquals(new int[] {0, 3, 5}, c.targets());
            assertArrayEquals(new int[] {5, 0, 3}, in, "the caller's array is not sorted in place");
            in[0] = 99;
            assertArrayEquals(new int[] {0, 3, 5}, c.targets(), "the caller's array is copied");
            c.targets()[0] = 42;
            assertArrayEquals(new int[] {0, 3, 5}, c.targets(), "targets() returns a copy");
            assertArrayEquals(new int[] {7}, ConsumerOptions.named("c").targets(7).targets());
        }

        @Test
        void shouldRejectBadTargets() {
            ConsumerOptions c = ConsumerOptions.named("c");
            IllegalArgumentException dup = rejects("targets", () -> c.targets(1, 2, 1));
            assertTrue(dup.getMessage().contains("[1, 2, 1]"), dup.getMessage());
            rejects("targets", () -> c.targets(-1));
            rejects("targets", () -> c.targets(0, -3, 2));
            rejects("targets", () -> c.targets(Integer.MIN_VALUE));
            rejects("targets", () -> c.targets(new int[0])); // (c.targets() with no argument is the getter)
            assertThrows(NullPointerException.class, () -> c.targets((int[]) null));
            assertNull(c.targets());
        }

        static Stream<Arguments> setters() {
            DataSelector sel = (m, d) -> d.makeSubView(0, 1);
            DataAllocator alloc = DataAllocator.direct();
            StartAt at = StartAt.id(9);
            return Stream.of(
                    setter("targets", o -> o.targets(2, 1), o -> java.util.Arrays.toString(o.targets()), "[1, 2]"),
                    setter("startAt", o -> o.startAt(at), o -> o.startAt(), at),
                    setter("dataSelector", o -> o.dataSelector(sel), o -> o.dataSelector(), sel),
                    setter("dataAllocator", o -> o.dataAllocator(alloc), o -> o.dataAllocator(), alloc),
                    setter("batchSize", o -> o.batchSize(BatchSize.of(3)), o -> o.batchSize(), BatchSize.of(3)),
                    setter("maxPrefetchBatches", o -> o.maxPrefetchBatches(8), o -> o.maxPrefetchBatches(), 8),
                    setter("maxPrefetchBytes", o -> o.maxPrefetchBytes(1), o -> o.maxPrefetchBytes(), 1L),
                    setter("ackInterval", o -> o.ackInterval(Duration.ZERO), o -> o.ackInterval(), Duration.ZERO));
        }

        static Arguments setter(String what, Function<ConsumerOptions, ConsumerOptions> set,
                Function<ConsumerOptions, Object> get, Object value) {
            return Arguments.of(what, set, get, value);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("setters")
        void shouldReturnANewInstanceAndLeaveTheOriginal(String what, Function<ConsumerOptions, ConsumerOptions> set,
                Function<ConsumerOptions, Object> get, Object value) {
            ConsumerOptions original = ConsumerOptions.named("orig").maxPrefetchBatches(5).startAt(StartAt.LATEST);
            Object oldValue = get.apply(original);
            ConsumerOptions changed = set.apply(original);
            assertNotSame(original, changed, what);
            assertEquals(value, get.apply(changed), what);
            assertEquals(oldValue, get.apply(original), what + ": the original is unchanged");
            assertEquals("orig", changed.name(), what + ": the name is carried over");
            if (!what.equals("maxPrefetchBatches")) {
                assertEquals(5, changed.maxPrefetchBatches(), what);
            }
            if (!what.equals("startAt")) {
                assertSame(StartAt.LATEST, changed.startAt(), what);
            }
        }

        @Test
        void shouldCarryTargetsThroughOtherSetters() {
            ConsumerOptions c = ConsumerOptions.named("c").targets(4, 2).maxPrefetchBatches(3).batchSize(BatchSize.of(7))
                    .ackInterval(Duration.ofMillis(10)).maxPrefetchBytes(99).startAt(StartAt.LATEST)
                    .dataSelector(DataSelector.NONE);
            assertArrayEquals(new int[] {2, 4}, c.targets());
            assertEquals(3, c.maxPrefetchBatches());
            assertEquals(BatchSize.of(7), c.batchSize());
            assertEquals(Duration.ofMillis(10), c.ackInterval());
            assertEquals(99, c.maxPrefetchBytes());
            assertSame(DataSelector.NONE, c.dataSelector());
            String s = c.toString();
            assertTrue(s.contains("c") && s.contains("[2, 4]") && s.contains("latest"), s);
            assertTrue(ConsumerOptions.named("c").toString().contains("all"));
        }

        /**
         * The consumer's pool was documented as running the selector and allocator and never used: a pool is refused
         * with a message that says what to do; null (what every consumer has) is accepted.
         */
        @Test
        @SuppressWarnings("removal")
        void threadPoolIsRefusedNamingWhatToUseInstead() {
            ConsumerOptions c = ConsumerOptions.named("c");
            try (ThreadPool pool = ThreadPool.create(1)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.threadPool(pool));
                for (String part : new String[] {"threadPool", "fetch thread", "remove", "Consumer.process"}) {
                    assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
                }
            }
            assertSame(c, c.threadPool(null));
            assertNull(c.threadPool());
        }

        /** The old name forwards to the new one, and is refused with its own name for a bad value. */
        @Test
        @SuppressWarnings("removal")
        void maxNumBatchesIsTheDeprecatedNameOfMaxPrefetchBatches() {
            ConsumerOptions c = ConsumerOptions.named("c").maxNumBatches(6);
            assertEquals(6, c.maxPrefetchBatches());
            assertEquals(6, c.maxNumBatches());
            rejects("maxNumBatches", () -> c.maxNumBatches(0));
        }

        @Test
        void shouldRejectBadValuesNamingTheOption() {
            ConsumerOptions c = ConsumerOptions.named("c");
            for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
                rejects("maxPrefetchBatches", () -> c.maxPrefetchBatches(bad));
                rejects("maxPrefetchBytes", () -> c.maxPrefetchBytes(bad));
            }
            rejects("ackInterval", () -> c.ackInterval(Duration.ofMillis(-1)));
            rejectsNull("ackInterval", () -> c.ackInterval(null));
            rejectsNull("startAt", () -> c.startAt(null));
            rejectsNull("dataSelector", () -> c.dataSelector(null));
            rejectsNull("dataAllocator", () -> c.dataAllocator(null));
            rejectsNull("batchSize", () -> c.batchSize(null));
            assertEquals(2, c.maxPrefetchBatches(), "a failed call leaves the options alone");
        }
    }
}
