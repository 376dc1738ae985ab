package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of a netty session are READ_INLINE (protocol version 3): the answer carries the data of the batch's small
 * events, which the session's data reads copy from it instead of asking the server again; events of 64 KiB or more
 * still come with READ_DATA; a consumer that selects little of the data stops asking for it inline; and while
 * batches come full, two READs stay in flight. A version 2 connection cannot send READ_INLINE.
 */
@Timeout(60)
class InlineReadTest {
    private static final long WAIT = 5_000_000_000L;

    @TempDir
    Path root;

    @Test
    void shouldFillTheDataOfSmallEventsFromTheReadAnswer() {
        withSession(35, i -> 10 + i, (servers, s) -> {
            IncomingBatch b = s.poll(10, Long.MAX_VALUE, WAIT);
            readAll(b, s, 10);
            assertEquals(10, s.readAhead().servedInline(), "every event's data came with the READ answer");
            b = s.poll(10, Long.MAX_VALUE, WAIT); // the answer read ahead carries data as well
            readAll(b, s, 10);
            assertEquals(20, s.readAhead().servedInline());
        });
    }

    @Test
    void shouldReadEventsOfABlockOrMoreWithReadData() {
        int big = (int) Protocol.INLINE_EVENT_LIMIT;
        withSession(6, i -> i == 3 ? big : 100 + i, (servers, s) -> {
            IncomingBatch b = s.poll(6, Long.MAX_VALUE, WAIT);
            readAll(b, s, 6);
            assertEquals(3, s.readAhead().servedInline(), "inline data stops before the 64 KiB event");
        });
    }

    @Test
    void shouldStopSendingDataInlineWhenTheSelectionTakesLittleOfIt() {
        withSession(40, i -> 1000, (servers, s) -> {
            IncomingBatch b = s.poll(10, Long.MAX_VALUE, WAIT);
            try {
                List<DataRequest> rs = new ArrayList<>();
                List<ByteBuffer> targets = new ArrayList<>();
                for (int i = 0; i < b.count(); i++) { // one byte of each event
                    long id = b.firstId() + i;
                    targets.add(ByteBuffer.allocate(1));
                    rs.add(new DataRequest(0, id, DataDescriptor.of(id, b.dataSize(i))
                            .makeUnstructuredView(List.of(new DataDescriptor.Range(i, 1))),
                            DataView.of(targets.get(i))));
                }
                s.readData(rs);
                for (int i = 0; i < rs.size(); i++) {
                    assertNull(rs.get(i).error());
                    assertEquals(expected(b.firstId() + i, 1000)[i], targets.get(i).get(0));
                }
            } finally {
                b.release();
            }
            assertFalse(s.readAhead().inlinePaused(), "decided when the next read comes");
            assertEquals(10, s.readAhead().servedInline(), "the one-byte selections came from the inline data");
            s.seek(0, StartAt.id(20)); // drops the reads in flight, which asked for inline data
            readAll(s.poll(10, Long.MAX_VALUE, WAIT), s, 10);
            assertTrue(s.readAhead().inlinePaused(), "a selection of 10 of 10 000 bytes pauses inline data");
            assertEquals(10, s.readAhead().servedInline(), "the data of the read that followed came by READ_DATA");
        });
    }

    @Test
    void shouldKeepTwoReadsInFlightWhileBatchesComeFull() {
        withSession(23, i -> 50, (servers, s) -> {
            ReadAhead ahead = s.readAhead();
            readAll(s.poll(5, Long.MAX_VALUE, WAIT), s, 5);
            assertEquals(List.of(5L, 10L), ahead.inFlight(0), "a full batch: the next two batches are asked for");
            readAll(s.poll(5, Long.MAX_VALUE, WAIT), s, 5);
            readAll(s.poll(5, Long.MAX_VALUE, WAIT), s, 5);
            assertEquals(List.of(15L, 20L), ahead.inFlight(0));
            assertEquals(2, ahead.used());
            readAll(s.poll(5, Long.MAX_VALUE, WAIT), s, 5);
            IncomingBatch last = s.poll(5, Long.MAX_VALUE, WAIT);
            assertNotNull(last);
            assertEquals(3, last.count(), "events 20..22");
            readAll(last, s, 3);
            assertEquals(List.of(), ahead.inFlight(0), "nothing is asked for past the partition's end");
            assertEquals(4, ahead.used(), "every batch after the first was read ahead");
            assertNull(s.poll(5, Long.MAX_VALUE, 100_000_000L));
        });
    }

    /** With many partitions behind, the reads in flight of a session ask for no more inline data than its budget. */
    @Test
    void shouldKeepTheInlineDataOfTheReadsInFlightWithinABudget() {
        try (Servers servers = Servers.start(root, 1)) {
            try (Driver driver = Driver.open("netty", servers.driverOptions())) {
                driver.createTopic("budget", Metadata.of("{\"num_partitions\":4}"));
                try (TopicHandle t = driver.openTopic("budget"); Producer p = t.producer()) {
                    for (int i = 0; i < 30; i++) {
                        for (int part = 0; part < 4; part++) {
                            p.push(Metadata.of("{}"), DataView.of(expected(i, 100)), part);
                        }
                    }
                    p.flush().join();
                }
            }
            NettyBackend backend = ReadAheadTest.backend(servers);
            try (NettyTopic topic = (NettyTopic) backend.openTopic("budget")) {
                ReadAhead ahead = new ReadAhead(topic, 1000, 2500);
                try {
                    for (int part = 0; part < 4; part++) {
                        readAll(ahead.read(part, 0, 5, Long.MAX_VALUE), ahead, part, 5);
                        assertEquals(List.of(5L, 10L), ahead.inFlight(part), "partition " + part);
                        assertTrue(ahead.inlineAsked() <= 2500, "asked " + ahead.inlineAsked());
                    }
                    assertEquals(2500, ahead.inlineAsked(), "1000 + 1000 for partition 0, 500 for partition 1");
                    readAll(ahead.read(3, 5, 5, Long.MAX_VALUE), ahead, 3, 5); // asked none: READ_DATA
                    readAll(ahead.read(0, 5, 5, Long.MAX_VALUE), ahead, 0, 5); // came inline
                    assertTrue(ahead.inlineAsked() <= 2500, "asked " + ahead.inlineAsked());
                } finally {
                    ahead.discardAll();
                }
                assertEquals(0, ahead.inlineAsked(), "nothing is in flight once the session closes");
            } finally {
                backend.close();
            }
        }
    }

    @Test
    void shouldRefuseReadInlineOnAVersion2Connection() {
        try (Servers servers = Servers.start(root, 1);
                RawClient old = RawClient.authenticated(servers.first().port(), "", 2)) {
            int h = old.openOrCreate("v2", 1);
            RawClient.Frame f = old.request(Protocol.READ_INLINE, RawClient.payload(o -> {
                o.writeInt(h);
                o.writeInt(0);
                o.writeLong(0);
                o.writeInt(10);
                o.writeLong(1000);
                o.writeInt(1000);
            }));
            assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), f::toString);
            assertTrue(f.errorMessage().contains("version 3"), f::toString);
        }
    }

    /** Reads the whole data of {@code b}'s events (which must be {@code count}) and checks it; releases {@code b}. */
    private static void readAll(IncomingBatch b, NettyReadSession s, int count) {
        readAll(b, s::readData, 0, count);
    }

    private static void readAll(IncomingBatch b, ReadAhead ahead, int partition, int count) {
        readAll(b, ahead::readData, partition, count);
    }

    private static void readAll(IncomingBatch b, java.util.function.Consumer<List<DataRequest>> reader, int partition,
            int count) {
        assertNotNull(b);
        try {
            assertEquals(count, b.count());
            List<DataRequest> rs = new ArrayList<>();
            List<byte[]> targets = new ArrayList<>();
            for (int i = 0; i < b.count(); i++) {
                long id = b.firstId() + i;
                targets.add(new byte[(int) b.dataSize(i)]);
                rs.add(new DataRequest(partition, id, DataDescriptor.of(id, b.dataSize(i)),
                        DataView.of(ByteBuffer.wrap(targets.get(i)))));
            }
            reader.accept(rs);
            for (int i = 0; i < rs.size(); i++) {
                DataRequest r = rs.get(i);
                assertNull(r.error(), () -> "event " + r.eventId() + ": " + r.error());
                assertArrayEquals(expected(r.eventId(), targets.get(i).length), targets.get(i),
                        "data of event " + r.eventId());
            }
        } finally {
            b.release();
        }
    }

    /** The data of event {@code id}: {@code size} bytes depending on the id. */
    private static byte[] expected(long id, int size) {
        byte[] d = new byte[size];
        for (int i = 0; i < size; i++) {
            d[i] = (byte) (id * 31 + i);
        }
        return d;
    }

    /** Runs {@code body} on a session of partition 0 of a topic of {@code events} events of {@code size(i)} bytes. */
    private void withSession(int events, IntUnaryOperator size, ReadAheadTest.SessionBody body) {
        try (Servers servers = Servers.start(root, 1)) {
            try (Driver driver = Driver.open("netty", servers.driverOptions())) {
                driver.createTopic("inline", Metadata.of("{\"num_partitions\":1}"));
                try (TopicHandle t = driver.openTopic("inline"); Producer p = t.producer()) {
                    for (int i = 0; i < events; i++) {
                        p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(expected(i, size.applyAsInt(i))));
                    }
                    p.flush().join();
                }
            }
            ReadAheadTest.onSession(servers, "inline", body);
        }
    }
}
