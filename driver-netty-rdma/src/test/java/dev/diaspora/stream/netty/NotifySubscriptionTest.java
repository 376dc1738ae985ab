package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only handles that read get NOTIFY (PROTOCOL.md, "Pushes" and "Versions"): a version 2 connection's OPEN_TOPIC does
 * not subscribe its handle, SUBSCRIBE does (answered with the ends at that moment); a producer's connection gets no
 * NOTIFY for appends, yet still learns that partitions were added. A version 1 client's handles are subscribed at
 * OPEN_TOPIC, as that version promised. Frames are read in the order the server's event loop wrote them, so each
 * "no NOTIFY before this answer" below is exact, not timed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NotifySubscriptionTest {
    @TempDir
    Path dir;
    private Servers servers;

    @BeforeEach
    void start() {
        servers = Servers.start(dir, 1);
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private int port() {
        return servers.first().port();
    }

    @Test
    void shouldPushEndsToSubscribedHandlesOnlyNotToAProducer() {
        try (RawClient producer = RawClient.authenticated(port(), "");
                RawClient reader = RawClient.authenticated(port(), "")) {
            int ph = producer.openOrCreate("t", 1);
            int rh = reader.openOrCreate("t", 1);
            RawClient.Frame sub = reader.request(Protocol.SUBSCRIBE, RawClient.payload(o -> o.writeInt(rh)));
            assertEquals(Protocol.OK, sub.type(), sub::toString);
            Answers.Notify at = Answers.Notify.decode(Unpooled.wrappedBuffer(sub.payload()));
            assertEquals(rh, at.handle());
            assertArrayEquals(new long[] {0}, at.ends(), "the ends when it subscribed");
            for (int s = 0; s < 2; s++) {
                RawClient.Frame ok = producer.request(Protocol.APPEND, append(ph, s));
                assertEquals(Protocol.OK, ok.type(), ok::toString);
                // the notifier thread pushes each new end to the reader, one round at a time: once the reader has
                // end s + 1, the round of end s has queued its pushes to every subscribed connection
                long want = s + 1;
                RawClient.Frame n;
                do {
                    n = reader.read();
                    assertEquals(Protocol.NOTIFY, n.type(), "the reader gets NOTIFY frames only");
                } while (Answers.Notify.decode(Unpooled.wrappedBuffer(n.payload())).ends()[0] < want);
            }
            // a push to the producer would have been written before this answer (one event loop per connection)
            assertEquals(List.of("OK"), framesUntilAnswer(producer, Protocol.BOUNDS,
                    RawClient.payload(o -> {
                        o.writeInt(ph);
                        o.writeInt(0);
                    })), "the producer's connection got no NOTIFY");
        }
    }

    @Test
    void shouldStillTellAProducerThatPartitionsWereAdded() {
        try (Driver admin = Driver.open("netty", servers.driverOptions());
                RawClient producer = RawClient.authenticated(port(), "")) {
            admin.createTopic("grows", Metadata.of("{\"num_partitions\":1}")); // with its placement
            int ph = producer.openOrCreate("grows", 1);
            RawClient.Frame ok = producer.request(Protocol.APPEND, append(ph, 0));
            assertEquals(Protocol.OK, ok.type(), ok::toString);
            admin.addPartitions("grows", 3);
            RawClient.Frame n = producer.read(); // within the notifier's idle look (a second), before the timeout
            assertEquals(Protocol.NOTIFY, n.type(), n::toString);
            Answers.Notify grown = Answers.Notify.decode(Unpooled.wrappedBuffer(n.payload()));
            assertEquals(ph, grown.handle());
            assertArrayEquals(new long[] {1, 0, 0}, grown.ends(), "the ends of the three partitions");
        }
    }

    @Test
    void shouldSubscribeEveryHandleOfAVersion1Client() {
        try (RawClient producer = RawClient.authenticated(port(), "");
                RawClient old = RawClient.authenticated(port(), "", 1)) {
            int ph = producer.openOrCreate("v1", 1);
            int oh = old.openOrCreate("v1", 1);
            RawClient.Frame ok = producer.request(Protocol.APPEND, append(ph, 0));
            assertEquals(Protocol.OK, ok.type(), ok::toString);
            Answers.Notify ends;
            do { // the ends at its opening may come first
                RawClient.Frame n = old.read();
                assertEquals(Protocol.NOTIFY, n.type(), "a version 1 handle gets the ends without SUBSCRIBE: " + n);
                ends = Answers.Notify.decode(Unpooled.wrappedBuffer(n.payload()));
                assertEquals(oh, ends.handle());
            } while (ends.ends()[0] == 0);
            assertArrayEquals(new long[] {1}, ends.ends());
        }
    }

    @Test
    void shouldAnswerAVersion1HelloWithVersion1AndRefuseAnUnknownVersion() {
        try (RawClient old = new RawClient(port())) {
            RawClient.Frame f = old.request(Protocol.HELLO, RawClient.hello(1, ""));
            assertEquals(Protocol.OK, f.type(), f::toString);
            assertEquals(1, ByteBuffer.wrap(f.payload()).getShort(), "the version the connection speaks");
        }
        try (RawClient future = new RawClient(port())) {
            RawClient.Frame f = future.request(Protocol.HELLO, RawClient.hello(Protocol.VERSION + 1, ""));
            assertEquals(Protocol.E_VERSION, f.errorKind(), f::toString);
        }
    }

    /** Sends a request and returns the types of the frames read up to its answer, the answer included. */
    private static List<String> framesUntilAnswer(RawClient c, byte type, byte[] payload) {
        c.send(RawClient.frame(type, 1_000_000, payload));
        List<String> types = new ArrayList<>();
        RawClient.Frame f;
        do {
            f = c.read();
            types.add(Protocol.typeName(f.type()));
        } while (f.type() == Protocol.NOTIFY);
        return types;
    }

    /** An APPEND of one 3-byte event to local partition 0, sequence {@code s} of producer 42. */
    private static byte[] append(int h, long s) {
        byte[] md = "{}".getBytes(StandardCharsets.UTF_8);
        return RawClient.payload(o -> {
            o.writeInt(h);
            o.writeInt(1); // appender key
            o.writeInt(0); // partition
            o.writeInt(1); // events
            o.writeLong(42);
            o.writeLong(s);
            o.writeByte(0);
            o.writeInt(md.length);
            o.writeLong(3);
            o.write(md);
            o.write(new byte[] {1, 2, 3});
        });
    }
}
