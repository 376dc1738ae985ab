package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The READ_DATA calls of one data read are sent in a window ({@link RemoteReads#inWindow}): never more than the
 * window sent and not taken, answers taken in order, and every answer released, also when a send or a take fails.
 * Before the window, a batch of 64 events of 1 MiB sent 16 calls of 4 MiB at once.
 */
class ReadDataWindowTest {

    /** Calls whose answers the test completes by hand; counts how many are sent and not taken. */
    private static final class Calls {
        final List<CompletableFuture<ByteBuf>> sent = new ArrayList<>();
        final List<ByteBuf> answers = new ArrayList<>();
        final List<Integer> takenOrder = new ArrayList<>();
        int maxOutstanding;

        CompletableFuture<ByteBuf> send(int i) {
            assertEquals(sent.size(), i, "calls are sent in order");
            CompletableFuture<ByteBuf> f = new CompletableFuture<>();
            sent.add(f);
            maxOutstanding = Math.max(maxOutstanding, sent.size() - takenOrder.size());
            ByteBuf a = Unpooled.buffer(8).writeLong(i);
            answers.add(a);
            f.complete(a);
            return f;
        }

        void take(int i, CompletableFuture<ByteBuf> call) {
            assertSame(sent.get(i), call);
            ByteBuf a = call.join();
            try {
                assertEquals(i, a.getLong(0));
                takenOrder.add(i);
            } finally {
                a.release();
            }
        }

        void assertAllReleased() {
            for (int i = 0; i < answers.size(); i++) {
                assertEquals(0, answers.get(i).refCnt(), "answer " + i + " released");
            }
        }
    }

    @Test
    void neverMoreThanTheWindowIsOnTheWireAndAnswersAreTakenInOrder() {
        for (int window : new int[] {1, 2, 3}) {
            for (int n : new int[] {0, 1, 2, 7, 16}) {
                Calls c = new Calls();
                RemoteReads.inWindow(n, window, c::send, c::take);
                assertEquals(n, c.sent.size());
                assertEquals(n, c.takenOrder.size());
                for (int i = 0; i < n; i++) {
                    assertEquals(i, c.takenOrder.get(i));
                }
                assertEquals(Math.min(n, window), c.maxOutstanding, "window " + window + ", " + n + " calls");
                c.assertAllReleased();
            }
        }
        assertEquals(2, RemoteReads.READ_DATA_WINDOW);
    }

    @Test
    void aFailedTakeReleasesTheAnswersOfTheCallsSentAfterIt() {
        Calls c = new Calls();
        IllegalStateException boom = new IllegalStateException("bad block");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RemoteReads.inWindow(7, 3, c::send,
                (i, call) -> {
                    if (i == 2) {
                        call.join().release(); // as ReadDataCodec.fill's caller does
                        throw boom;
                    }
                    c.take(i, call);
                }));
        assertSame(boom, e);
        assertEquals(5, c.sent.size(), "calls 3 and 4 were on the wire, 5 and 6 never sent");
        c.assertAllReleased();
    }

    @Test
    void aFailedSendReleasesTheAnswersNotTakenYet() {
        Calls c = new Calls();
        IllegalStateException down = new IllegalStateException("server down");
        assertThrows(IllegalStateException.class, () -> RemoteReads.inWindow(6, 3, i -> {
            if (i == 3) {
                throw down;
            }
            return c.send(i);
        }, c::take));
        assertEquals(List.of(0), c.takenOrder, "call 3 is sent before answer 1 is taken");
        assertTrue(c.sent.size() == 3);
        c.assertAllReleased();
    }
}
