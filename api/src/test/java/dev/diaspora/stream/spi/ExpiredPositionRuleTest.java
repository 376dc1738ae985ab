package dev.diaspora.stream.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.ExpiredPositionPolicy;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.StartAt;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rules every read session applies to positions below the first retained id (issue 13), each policy, with what
 * the engine's listener hears. The TCK's R25 checks them end to end per driver; the kafka driver applies them too.
 */
class ExpiredPositionRuleTest {
    private final List<List<Long>> heard = new ArrayList<>();
    private final SessionListener listener = new SessionListener() {
        @Override
        public Map<Integer, Long> revoking(Set<Integer> partitions) {
            return Map.of();
        }

        @Override
        public void expired(int p, long position, long firstRetained, long resumeAt) {
            heard.add(List.of((long) p, position, firstRetained, resumeAt));
        }
    };

    private static final PartitionBounds BOUNDS = new PartitionBounds(20, 30);

    @Test
    void aRetainedPositionStaysWhateverThePolicy() {
        for (ExpiredPositionPolicy policy : ExpiredPositionPolicy.values()) {
            ExpiredPositionRule rule = new ExpiredPositionRule(policy, listener);
            assertEquals(20, rule.start(1, 20, BOUNDS), policy + ": the first retained id");
            assertEquals(35, rule.start(1, 35, BOUNDS), policy + ": past the end is not retention's business");
        }
        assertEquals(List.of(), heard, "nothing to report");
    }

    @Test
    void startBelowTheFirstRetainedIdFollowsThePolicy() {
        assertEquals(20, new ExpiredPositionRule(ExpiredPositionPolicy.EARLIEST, listener).start(1, 5, BOUNDS));
        assertEquals(30, new ExpiredPositionRule(ExpiredPositionPolicy.LATEST, listener).start(2, 5, BOUNDS));
        assertEquals(5, new ExpiredPositionRule(ExpiredPositionPolicy.FAIL, listener).start(3, 5, BOUNDS),
                "FAIL keeps the position: the read there fails and reports it");
        assertEquals(List.of(List.of(1L, 5L, 20L, 20L), List.of(2L, 5L, 20L, 30L)), heard);
        assertEquals(20, new ExpiredPositionRule(null, null).start(0, 5, BOUNDS), "EARLIEST is the default");
    }

    @Test
    void startAtResolvesWithinTheRetainedIds() {
        ExpiredPositionRule latest = new ExpiredPositionRule(ExpiredPositionPolicy.LATEST, listener);
        assertEquals(20, latest.resolve(0, StartAt.EARLIEST, BOUNDS, t -> 0));
        assertEquals(30, latest.resolve(0, StartAt.LATEST, BOUNDS, t -> 0));
        assertEquals(25, latest.resolve(0, StartAt.id(25), BOUNDS, t -> 0));
        assertEquals(30, latest.resolve(0, StartAt.id(3), BOUNDS, t -> 0), "an id below follows the policy");
        assertEquals(20, latest.resolve(0, StartAt.time(Instant.EPOCH), BOUNDS, t -> 4),
                "a time whose first id was dropped starts at the first retained id, as nothing expired");
        assertEquals(27, latest.resolve(0, StartAt.time(Instant.EPOCH), BOUNDS, t -> 27));
        assertEquals(List.of(List.of(0L, 3L, 20L, 30L)), heard);
    }

    @Test
    void aReadOvertakenByRetentionMovesOnOrFails() {
        ExpiredPositionRule earliest = new ExpiredPositionRule(ExpiredPositionPolicy.EARLIEST, listener);
        assertEquals(25, earliest.overtaken(0, 22, 25, () -> BOUNDS, 0),
                "the first retained id the read reported wins over older bounds");
        assertEquals(-1, earliest.overtaken(0, 22, 25, () -> BOUNDS, ExpiredPositionRule.MAX_OVERTAKEN),
                "retention that keeps overtaking fails the read whatever the policy");
        ExpiredPositionRule fail = new ExpiredPositionRule(ExpiredPositionPolicy.FAIL, listener);
        assertEquals(-1, fail.overtaken(4, 7, 20, () -> {
            throw new AssertionError("FAIL needs no bounds");
        }, 0));
        assertEquals(List.of(List.of(0L, 22L, 25L, 25L), List.of(0L, 22L, 25L, -1L), List.of(4L, 7L, 20L, -1L)),
                heard);
    }
}
