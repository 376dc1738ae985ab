package dev.diaspora.stream.tck.selftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.tck.DriverTck;
import dev.diaspora.stream.tck.TckEnvironment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The TCK tests itself (Reactive Streams' {@code shouldFailBy_} idea): it runs the whole kit, through the JUnit
 * Platform Launcher, against the reference driver with each deliberate {@link Fault}, and checks that at least one
 * test fails and that the test aimed at that fault is among the failures. A control run with {@code fault=none} under
 * the same reduced environment (small counts, short timeouts) must pass entirely, so the failures come from the
 * faults and not from the environment.
 *
 * <p>The faulty kit is a nested static class, which surefire does not run on its own.
 */
class BrokenDriversTest {
    /** The test that each fault must fail (besides possibly others). */
    private static final Map<Fault, String> EXPECTED = Map.ofEntries(
            Map.entry(Fault.DROP_EVENT, "required_R15_hundredEventsInOrderWithoutData"),
            Map.entry(Fault.REORDER, "required_S11_strictOrderKeptAcrossFixedBatches"),
            Map.entry(Fault.IGNORE_ACKS, "required_S5_newConsumerResumesAfterAcknowledgedEvent"),
            Map.entry(Fault.UNSELECTED_BYTES, "required_R13_subViewSelectsExactBytes"),
            Map.entry(Fault.DUPLICATE, "required_R16_everyConsumerSeesEveryEventExactlyOnce"),
            Map.entry(Fault.NO_TAILING, "required_S2_pendingPullCompletesWhenEventArrives"),
            Map.entry(Fault.NO_NOTIFY, "required_S18_storedEventWakesTheWaitingConsumer"),
            Map.entry(Fault.WRONG_METADATA, "required_S14_metadataTextDeliveredVerbatim"),
            Map.entry(Fault.LOST_DATA, "required_R12_bigEventRoundTrips"),
            Map.entry(Fault.LEAK_THREAD, "required_R2_createdTopicExistsAndOpens"),
            Map.entry(Fault.NO_LEASES, "required_S7_overlappingTargetsConflictUntilTheHolderLeaves"),
            Map.entry(Fault.LOSE_COMPONENTS, "required_R6_componentsArePersistedWithTheTopic"),
            Map.entry(Fault.STALE_DELETE, "optional_R7_deletedTopicIsGoneAndNameReusable"),
            Map.entry(Fault.OVERWRITE_ON_CREATE, "required_R2_duplicateCreateThrowsTopicExists"),
            Map.entry(Fault.VAGUE_ERRORS, "required_R2_openingMissingTopicThrowsNamingIt"),
            Map.entry(Fault.ONE_PARTITION, "required_R2_numPartitionsCreatesThatManyPartitions"),
            Map.entry(Fault.IGNORE_SEEK, "required_R23_throwingSelectorStopsItsPartitionNamingPartitionAndIdUntilSeek"),
            Map.entry(Fault.DETACHED_HANDLE, "optional_R7_otherInstanceNoticesDeleteAndRecreateOnPush"),
            Map.entry(Fault.NEVER_REBALANCES, "required_G1_membersShareThePartitionsEvenlyAndRebalanceOnJoinAndLeave"),
            Map.entry(Fault.DOUBLE_ASSIGN, "required_G1_membersShareThePartitionsEvenlyAndRebalanceOnJoinAndLeave"),
            Map.entry(Fault.IGNORE_RETENTION, "optional_R25_retentionMsDropsEventsOlderThanTheLimit"),
            Map.entry(Fault.SILENT_EXPIRY, "optional_R25_consumerBehindRetentionFollowsItsPolicy"),
            Map.entry(Fault.IGNORE_GENERATION, "optional_G6_aDroppedMemberThatWakesStoresNoPositionForLostPartitions"),
            Map.entry(Fault.STALE_PARTITIONS, "optional_R26_openProducersAndConsumersSeeAddedPartitions"),
            Map.entry(Fault.WRONG_TIME_LOOKUP, "optional_S6_startAtTimeStartsAtFirstEventStoredFromThen"),
            Map.entry(Fault.NO_CONSUMER_NAMES, "required_R9_consumerNamesAndPositionsReportStoredPositions"),
            Map.entry(Fault.IGNORE_RESET, "required_R9_resetPositionsMovesStoredPositions"),
            Map.entry(Fault.LIST_WITHOUT_COMPONENTS, "required_R3_listTopicsDescribesEachTopic"),
            Map.entry(Fault.IGNORE_ALTER, "optional_R26_alterTopicRetentionTakesEffect"),
            Map.entry(Fault.WRONG_PARTITION, "required_S1_explicitPartitionLandsInThatPartition"),
            Map.entry(Fault.BACKWARD_TIMESTAMPS, "required_S6_timestampsNonDecreasingPerPartition"),
            Map.entry(Fault.IGNORE_TARGETS, "required_R14_targetsLimitDeliveryToThosePartitions"),
            Map.entry(Fault.FORGET_ON_REOPEN, "optional_R17_topicsAndEventsSurviveDriverReopen"),
            Map.entry(Fault.WRONG_BOUNDS, "required_R9_boundsReportFirstAndNextIds"),
            Map.entry(Fault.NON_DAEMON_THREAD, "required_S10_libraryThreadsAreDaemons"),
            Map.entry(Fault.IGNORE_START_ID, "required_S6_startAtIdStartsThere"),
            Map.entry(Fault.PRIVATE_HANDLES, "required_R2_twoHandlesOfOneTopicShareEvents"),
            Map.entry(Fault.LATE_WRITE, "required_R12_targetsAreFilledOnlyDuringTheirRead"));

    /** The reduced environment of the broken runs: a fifth of the events, a tenth of the timeouts. */
    static TckEnvironment brokenRunEnvironment() {
        TckEnvironment base = TckEnvironment.fromSystemProperties();
        return base.withScale(base.scale() * 0.2).withTimeoutScale(base.timeoutScale() * 0.1);
    }

    /**
     * The TCK against the reference driver with the fault of the run under way ({@link #fault}), in the reduced
     * environment. Runs are sequential (one launcher call at a time, from {@link #run(Fault, boolean, String...)}), so
     * the fault is a static field that each run sets before it launches this class.
     */
    static final class FaultyReferenceTck extends DriverTck {
        /** The fault of the run under way. */
        static volatile Fault fault = Fault.NONE;
        /** Whether the run's driver declares {@code metadataVerbatim} (as the reference driver does), or not. */
        static volatile boolean metadataVerbatim = true;

        @Override
        protected String driverName() {
            return ReferenceDriverProvider.NAME;
        }

        @Override
        protected Metadata driverOptions(Path dir) {
            return ReferenceDriverTckTest.storeOptions(fault, dir);
        }

        @Override
        protected TckEnvironment environment() {
            return brokenRunEnvironment();
        }

        @Override
        public Capabilities capabilities() {
            Capabilities c = super.capabilities();
            c = new Capabilities(c.crossProcess(), true, c.nativePartialRead(), c.timeLookup(), c.deleteTopic(),
                    c.maxEventSize(), c.consumerGroups(), c.staleMemberTakeover(), c.retention(), c.metadataVerbatim(),
                    c.addPartitions(), c.alterableOptions());
            return metadataVerbatim ? c : c.withMetadataVerbatim(false);
        }

        @AfterEach
        void dropStore() {
            ReferenceDriverProvider.dropStore(tempDir.toString());
        }
    }

    /** Runs the kit (or only {@code methods}) against the reference driver with {@code fault}. */
    static Outcome run(Fault fault, boolean metadataVerbatim, String... methods) {
        FaultyReferenceTck.fault = fault;
        FaultyReferenceTck.metadataVerbatim = metadataVerbatim;
        try {
            return run(FaultyReferenceTck.class, methods);
        } finally {
            FaultyReferenceTck.fault = Fault.NONE;
            FaultyReferenceTck.metadataVerbatim = true;
        }
    }

    /** The outcome of one run: failed test method names with their first message line, and the count run. */
    record Outcome(Map<String, String> failures, List<String> passed, int skipped, long millis, String slowest) {
        int succeeded() {
            return passed.size();
        }

        String summary() {
            return failures.size() + " failed, " + passed.size() + " passed, " + skipped + " skipped in " + millis
                    + " ms (slowest: " + slowest + "); failures: "
                    + failures.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                            .collect(Collectors.joining("; "));
        }
    }

    /** Runs every test of {@code testClass}, or only {@code methods} if some are named. */
    static Outcome run(Class<?> testClass, String... methods) {
        List<DiscoverySelector> selectors = new ArrayList<>();
        if (methods.length == 0) {
            selectors.add(DiscoverySelectors.selectClass(testClass));
        }
        for (String m : methods) {
            selectors.add(DiscoverySelectors.selectMethod(testClass, m));
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Map<String, String> failures = new TreeMap<>();
        ConcurrentLinkedQueue<String> passed = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> skipped = new ConcurrentLinkedQueue<>();
        Map<String, Long> started = new ConcurrentHashMap<>();
        Map<String, Long> took = new ConcurrentHashMap<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier id) {
                started.put(id.getUniqueId(), System.nanoTime());
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                String name = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                        .map(MethodSource::getMethodName).orElse(id.getDisplayName());
                Long t0 = started.get(id.getUniqueId());
                if (t0 != null && id.isTest()) {
                    took.put(name, (System.nanoTime() - t0) / 1_000_000);
                }
                if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    if (id.isTest()) {
                        passed.add(name);
                    }
                } else if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                    String msg = result.getThrowable().map(t -> String.valueOf(t.getMessage())).orElse("?");
                    failures.put(name, msg.lines().findFirst().orElse(""));
                } else {
                    skipped.add(name);
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                skipped.add(id.getDisplayName());
            }
        };
        long start = System.nanoTime();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, listener);
        String slowest = took.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(4)
                .map(e -> e.getKey() + " " + e.getValue() + " ms").collect(Collectors.joining(", "));
        return new Outcome(failures, List.copyOf(passed), skipped.size(), (System.nanoTime() - start) / 1_000_000,
                slowest);
    }

    /**
     * Runs the whole kit under each fault (minutes), to report which tests no fault catches; otherwise each fault
     * runs only the test aimed at it, which is what the assertions need.
     */
    static final boolean FULL = Boolean.getBoolean("tck.selftest.full");

    private static final Set<String> ALL_TESTS = ConcurrentHashMap.newKeySet();
    private static final Set<String> CAUGHT = ConcurrentHashMap.newKeySet();

    /** Reports the tests that no fault made fail (they check the engine and API rather than the driver's storage). */
    @AfterAll
    static void reportTestsNoFaultCaught() {
        if (!FULL) {
            System.out.println("[tck self-test] each fault ran only its aimed test; run with -Dtck.selftest.full=true"
                    + " to see which tests no fault catches");
            return;
        }
        Set<String> uncaught = new TreeSet<>(ALL_TESTS);
        uncaught.removeAll(CAUGHT);
        System.out.println("[tck self-test] " + uncaught.size() + " of " + ALL_TESTS.size()
                + " tests failed under no fault: " + uncaught);
    }

    /**
     * One dynamic test per run: the control (the healthy reference driver passes the whole TCK in the reduced
     * environment), then one per fault (the TCK fails, and fails the test aimed at the fault).
     */
    @TestFactory
    @Timeout(600)
    Stream<DynamicTest> eachFaultFailsItsTest() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(dynamicTest("fault none passes everything", () -> {
            Outcome o = run(Fault.NONE, true);
            System.out.println("[tck self-test] none: " + o.summary());
            ALL_TESTS.addAll(o.passed());
            assertEquals(Map.of(), o.failures(), "the healthy reference driver must pass the reduced TCK: "
                    + o.summary());
            assertTrue(o.succeeded() > 50, "too few tests ran: " + o.summary());
        }));
        for (Fault f : Fault.values()) {
            if (f == Fault.NONE) {
                continue;
            }
            // A leaked thread fails every test in its after-each check, each after a wait: run two tests only.
            // Without -Dtck.selftest.full=true each fault runs only the test aimed at it (the whole kit per fault
            // takes minutes and only feeds the report of tests no fault catches).
            String[] only = f == Fault.LEAK_THREAD
                    ? new String[] {EXPECTED.get(f), "required_R9_boundsReportFirstAndNextIds"}
                    : FULL ? new String[0] : new String[] {EXPECTED.get(f)};
            tests.add(dynamicTest("fault " + f.optionValue() + " fails " + EXPECTED.get(f), () -> {
                Outcome o = run(f, true, only);
                System.out.println("[tck self-test] " + f.optionValue() + ": " + o.summary());
                CAUGHT.addAll(o.failures().keySet());
                assertTrue(!o.failures().isEmpty(), "the TCK passed a driver with fault " + f.optionValue());
                assertTrue(o.failures().containsKey(EXPECTED.get(f)), "with fault " + f.optionValue() + ", "
                        + EXPECTED.get(f) + " should fail; " + o.summary());
                if (f == Fault.LEAK_THREAD) {
                    assertTrue(o.failures().get(EXPECTED.get(f)).startsWith("S10"),
                            "the leaked thread must be reported by the S10 check: " + o.summary());
                }
            }));
        }
        tests.add(dynamicTest("fault wrong-metadata, declared not verbatim, still fails S14", () -> {
            Outcome o = run(Fault.WRONG_METADATA, false, "required_S14_metadataTextDeliveredVerbatim");
            System.out.println("[tck self-test] wrong metadata, not verbatim: " + o.summary());
            assertTrue(o.failures().containsKey("required_S14_metadataTextDeliveredVerbatim")
                    && o.failures().get("required_S14_metadataTextDeliveredVerbatim").contains("metadata value"),
                    "a driver without metadataVerbatim is still checked for the JSON value: " + o.summary());
        }));
        return tests.stream();
    }
}
