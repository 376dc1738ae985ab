package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.spi.Backoff;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The netty client's retry loops run on the shared {@link Backoff} policy with the values they had as fixed pauses:
 * the first pause of a data read retry is 100 ms within a window of a second (or the request timeout if shorter),
 * a batch is sent again after 20 ms doubling to 500 ms, as before (now jittered below those ceilings), and the reads
 * of a partition whose server failed, and a group's rejoin, wait 500 ms at first, as before, growing to 2 s.
 */
class NettyRetryPoliciesTest {
    private static final long MS = Duration.ofMillis(1).toNanos();

    @Test
    void aDataReadIsRetriedFrom100MsForASecondOrTheRequestTimeout() {
        Backoff p = NettyReadSession.readRetry(30_000);
        assertEquals(100 * MS, p.ceilingNanos(1));
        assertEquals(400 * MS, p.ceilingNanos(5), "the pauses stay short: the window is a blip");
        assertEquals(Duration.ofSeconds(1), p.deadline());
        assertEquals(Duration.ofMillis(300), NettyReadSession.readRetry(300).deadline(), "a shorter request timeout");
    }

    @Test
    void aBatchIsSentAgainAfter20MsDoublingTo500Ms() {
        long[] old = {20, 40, 80, 160, 320, 500, 500, 500};
        for (int n = 1; n <= old.length; n++) {
            assertEquals(old[n - 1] * MS, NettyAppender.RESEND.ceilingNanos(n), "pause before resend " + n);
        }
        assertEquals(null, NettyAppender.RESEND.deadline(), "bounded by the delivery timeout of each batch instead");
    }

    @Test
    void aFailedServerIsReadAndAGroupRejoinedAgainFrom500MsUpTo2s() {
        for (Backoff p : new Backoff[] {RemoteReads.READ_RETRY, NettyGroups.REJOIN_RETRY}) {
            assertEquals(500 * MS, p.ceilingNanos(1), p.toString());
            assertEquals(2_000 * MS, p.ceilingNanos(10), p.toString());
        }
    }
}
