package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Codec;
import com.rabbitmq.stream.Message;
import com.rabbitmq.stream.MessageBuilder;
import com.rabbitmq.stream.Properties;
import com.rabbitmq.stream.codec.QpidProtonCodec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The stream client's message codec for the driver's environment: every message the driver writes is an AMQP 1.0
 * message made of one data section and nothing else, which this codec encodes and decodes itself (a 5- or 8-byte
 * section header and the body), exactly as Qpid Proton does; anything else (a message another program wrote, with
 * properties or several sections) goes to {@link QpidProtonCodec}. The wire format is unchanged; what this saves is
 * Proton's decoder objects per message on every subscription (consumers and the producers' followers) and its
 * encoder on every publish, and every copy of a body: a published event is laid out in its encoded section at once
 * ({@link Layout#event}), and a delivered message keeps the array the client read it into, its body being the tail.
 *
 * <p>Encoded form of a data section: {@code 00 53 75} (described type, small ulong 0x75 "data"), then
 * {@code a0 <len u8>} for a body of at most 255 bytes or {@code b0 <len u32>} above, then the body.
 *
 * <p>Thread safety: stateless apart from the delegate, which is thread-safe; messages are immutable apart from their
 * annotations, which only the client's own thread touches.
 */
final class DataSectionCodec implements Codec {
    private static final byte VBIN8 = (byte) 0xa0;
    private static final byte VBIN32 = (byte) 0xb0;

    private final Codec full = new QpidProtonCodec();

    /** @return where the body of {@code bodyLength} bytes starts in its encoded data section */
    static int bodyStart(int bodyLength) {
        return bodyLength <= 255 ? 5 : 8;
    }

    /**
     * @return a new encoded data section for a body of {@code bodyLength} bytes: its header written, the body left
     *     for the caller to fill from {@link #bodyStart}
     */
    static byte[] section(int bodyLength) {
        int header = bodyStart(bodyLength);
        byte[] out = new byte[header + bodyLength];
        out[1] = 0x53;
        out[2] = 0x75;
        if (header == 5) {
            out[3] = VBIN8;
            out[4] = (byte) bodyLength;
        } else {
            out[3] = VBIN32;
            out[4] = (byte) (bodyLength >>> 24);
            out[5] = (byte) (bodyLength >>> 16);
            out[6] = (byte) (bodyLength >>> 8);
            out[7] = (byte) bodyLength;
        }
        return out;
    }

    /**
     * A message of one data section, held encoded: the array is the whole AMQP encoding and the body is its tail from
     * {@link #start()}, so that neither publishing nor receiving copies the body. {@link #publishingId} is not part of
     * the encoded message.
     */
    static final class DataMessage implements Message {
        private final byte[] section;
        private final int start;
        private final long publishingId;
        private final boolean hasPublishingId;
        private Map<String, Object> annotations;

        /**
         * A message to publish with {@code publishingId}; {@code section} (made by {@link #section}, body filled
         * in) is sent as it is, not copied, and must not change afterwards.
         */
        DataMessage(byte[] section, long publishingId) {
            this(section, section[3] == VBIN8 ? 5 : 8, publishingId, true);
        }

        private DataMessage(byte[] section, int start, long publishingId, boolean hasPublishingId) {
            this.section = section;
            this.start = start;
            this.publishingId = publishingId;
            this.hasPublishingId = hasPublishingId;
        }

        /** @return a message to publish holding a copy of {@code body} */
        static DataMessage of(byte[] body, long publishingId) {
            byte[] section = section(body.length);
            System.arraycopy(body, 0, section, bodyStart(body.length), body.length);
            return new DataMessage(section, bodyStart(body.length), publishingId, true);
        }

        /** @return the encoded section itself (not a copy): the body is its tail from {@link #start()} */
        byte[] array() {
            return section;
        }

        /** @return where the body starts in {@link #array()} */
        int start() {
            return start;
        }

        @Override
        public boolean hasPublishingId() {
            return hasPublishingId;
        }

        @Override
        public long getPublishingId() {
            return publishingId;
        }

        /** @return a copy of the body (the driver's hot paths read {@link #array()} from {@link #start()} instead) */
        @Override
        public byte[] getBodyAsBinary() {
            return Arrays.copyOfRange(section, start, section.length);
        }

        @Override
        public Object getBody() {
            return getBodyAsBinary();
        }

        @Override
        public Properties getProperties() {
            return null;
        }

        @Override
        public Map<String, Object> getApplicationProperties() {
            return null;
        }

        @Override
        public Map<String, Object> getMessageAnnotations() {
            if (annotations == null) {
                annotations = new HashMap<>();
            }
            return annotations;
        }
    }

    /**
     * @return the array holding a delivered message's body from {@link #start(Message)}: a message of this codec
     *     without a copy, any other message's single data section copied (null: it has none)
     */
    static byte[] array(Message m) {
        return m instanceof DataMessage d ? d.section : RabbitTopic.body(m);
    }

    /** @return where the body starts in {@link #array(Message)} */
    static int start(Message m) {
        return m instanceof DataMessage d ? d.start : 0;
    }

    @Override
    public EncodedMessage encode(Message message) {
        if (!(message instanceof DataMessage m) || (m.annotations != null && !m.annotations.isEmpty())) {
            return full.encode(message);
        }
        return new EncodedMessage(m.section.length, m.section);
    }

    @Override
    public Message decode(byte[] data) {
        int n = data.length;
        if (n >= 5 && data[0] == 0 && data[1] == 0x53 && data[2] == 0x75) {
            if (data[3] == VBIN8 && (data[4] & 0xff) == n - 5) {
                return new DataMessage(data, 5, 0, false); // the client made the array for this message alone
            }
            if (data[3] == VBIN32 && n >= 8 && ((data[4] & 0xff) << 24 | (data[5] & 0xff) << 16
                    | (data[6] & 0xff) << 8 | (data[7] & 0xff)) == n - 8) {
                return new DataMessage(data, 8, 0, false);
            }
        }
        return full.decode(data);
    }

    @Override
    public MessageBuilder messageBuilder() {
        return full.messageBuilder();
    }
}
