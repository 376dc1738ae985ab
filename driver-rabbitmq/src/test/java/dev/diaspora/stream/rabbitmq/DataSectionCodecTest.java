package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.stream.Codec;
import com.rabbitmq.stream.Message;
import com.rabbitmq.stream.codec.QpidProtonCodec;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link DataSectionCodec} writes exactly the bytes Qpid Proton writes for a message of one data section, reads what
 * Proton writes, and hands every other message to Proton. Seeded random bodies; the seed is in every failure message.
 */
class DataSectionCodecTest {
    private static final long SEED = Long.getLong("diaspora.seed", System.nanoTime());
    private final Codec proton = new QpidProtonCodec();
    private final Codec codec = new DataSectionCodec();

    private static byte[] encoded(Codec.EncodedMessage e) {
        return Arrays.copyOf(e.getData(), e.getSize());
    }

    @Test
    void dataSectionsMatchProtonByteForByte() {
        Random random = new Random(SEED);
        int[] edges = {0, 1, 254, 255, 256, 257, 65_536};
        for (int k = 0; k < 500; k++) {
            int n = k < edges.length ? edges[k] : random.nextInt(k % 2 == 0 ? 300 : 70_000);
            byte[] body = new byte[n];
            random.nextBytes(body);
            String where = "seed " + SEED + " (-Ddiaspora.seed), case " + k + ", body of " + n + " bytes";
            byte[] theirs = encoded(proton.encode(proton.messageBuilder().addData(body).build()));
            byte[] ours = encoded(codec.encode(DataSectionCodec.DataMessage.of(body, k)));
            assertArrayEquals(theirs, ours, where + ": encoded differently from Proton");
            Message back = codec.decode(theirs);
            assertArrayEquals(body, back.getBodyAsBinary(), where + ": decoded body");
            assertFalse(back.hasPublishingId(), where);
            assertArrayEquals(body, proton.decode(ours).getBodyAsBinary(), where + ": Proton reads ours");
        }
    }

    @Test
    void eventsAreLaidOutInTheirSectionAndReadInPlace() {
        Random random = new Random(SEED);
        for (int k = 0; k < 200; k++) {
            int md = random.nextInt(40);
            int n = k < 3 ? new int[] {0, 255 - Layout.EVENT_HEADER - md, 256 - Layout.EVENT_HEADER - md}[k]
                    : random.nextInt(k % 2 == 0 ? 300 : 70_000);
            byte[] metadata = new byte[md];
            byte[] data = new byte[Math.max(0, n)];
            random.nextBytes(metadata);
            random.nextBytes(data);
            String where = "seed " + SEED + " (-Ddiaspora.seed), case " + k;
            long writer = random.nextLong();
            byte[] section = Layout.event(writer, k, java.nio.ByteBuffer.wrap(metadata),
                    dev.diaspora.stream.DataView.of(data));
            Codec.EncodedMessage sent = codec.encode(new DataSectionCodec.DataMessage(section, k));
            assertTrue(sent.getData() == section, where + ": the section is sent as it is, not copied");
            byte[] body = proton.decode(encoded(sent)).getBodyAsBinary(); // what any AMQP reader finds
            assertEquals(Layout.EVENT_HEADER + md + data.length, body.length, where);
            Message back = codec.decode(section);
            byte[] a = DataSectionCodec.array(back);
            int s = DataSectionCodec.start(back);
            assertTrue(a == section, where + ": a delivered message keeps the client's array");
            assertArrayEquals(body, Arrays.copyOfRange(a, s, a.length), where + ": body in place");
            assertEquals(Layout.KIND_EVENT, Layout.kind(a, s), where);
            assertEquals(writer, Layout.writer(a, s), where);
            assertEquals(k, Layout.sequence(a, s), where);
            assertEquals(md, Layout.metadataSize(a, s), where);
            assertArrayEquals(metadata, Arrays.copyOfRange(a, s + Layout.EVENT_HEADER, s + Layout.EVENT_HEADER + md),
                    where);
            assertArrayEquals(data, Arrays.copyOfRange(a, Layout.dataOffset(a, s), a.length), where);
        }
    }

    @Test
    void otherMessagesGoToProton() {
        byte[] withProperties = encoded(proton.encode(proton.messageBuilder().properties().messageId("m-1")
                .messageBuilder().applicationProperties().entry("k", "v").messageBuilder()
                .addData(new byte[] {1, 2, 3}).build()));
        Message m = codec.decode(withProperties);
        assertNotNull(m.getProperties());
        assertEquals("m-1", m.getProperties().getMessageIdAsString());
        assertEquals("v", m.getApplicationProperties().get("k"));
        assertArrayEquals(new byte[] {1, 2, 3}, m.getBodyAsBinary());

        // a data section whose length does not span the message (a second section follows): not the fast path
        byte[] one = encoded(proton.encode(proton.messageBuilder().addData(new byte[] {9}).build()));
        byte[] two = Arrays.copyOf(one, one.length * 2);
        System.arraycopy(one, 0, two, one.length, one.length);
        assertArrayEquals(proton.decode(two).getBodyAsBinary(), codec.decode(two).getBodyAsBinary());

        // a message the driver publishes with annotations is Proton's to encode
        DataSectionCodec.DataMessage annotated = DataSectionCodec.DataMessage.of(new byte[] {7}, 1);
        annotated.annotate("x-k", "v");
        assertArrayEquals(encoded(proton.encode(annotated)), encoded(codec.encode(annotated)));
    }
}
