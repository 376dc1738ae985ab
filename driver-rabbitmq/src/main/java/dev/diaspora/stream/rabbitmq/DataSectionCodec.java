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
 * encoder on every publish.
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

    /** A message of one data section; {@link #publishingId} is not part of the encoded message. */
    static final class DataMessage implements Message {
        private final byte[] body;
        private final long publishingId;
        private final boolean hasPublishingId;
        private Map<String, Object> annotations;

        /** A message to publish with {@code publishingId}; {@code body} is not copied. */
        DataMessage(byte[] body, long publishingId) {
            this.body = body;
            this.publishingId = publishingId;
            this.hasPublishingId = true;
        }

        private DataMessage(byte[] body) {
            this.body = body;
            this.publishingId = 0;
            this.hasPublishingId = false;
        }

        @Override
        public boolean hasPublishingId() {
            return hasPublishingId;
        }

        @Override
        public long getPublishingId() {
            return publishingId;
        }

        /** @return the body itself, not a copy */
        @Override
        public byte[] getBodyAsBinary() {
            return body;
        }

        @Override
        public Object getBody() {
            return body;
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

    @Override
    public EncodedMessage encode(Message message) {
        if (!(message instanceof DataMessage m) || (m.annotations != null && !m.annotations.isEmpty())) {
            return full.encode(message);
        }
        byte[] body = m.body;
        int n = body.length;
        int header = n <= 255 ? 5 : 8;
        byte[] out = new byte[header + n];
        out[1] = 0x53;
        out[2] = 0x75;
        if (header == 5) {
            out[3] = VBIN8;
            out[4] = (byte) n;
        } else {
            out[3] = VBIN32;
            out[4] = (byte) (n >>> 24);
            out[5] = (byte) (n >>> 16);
            out[6] = (byte) (n >>> 8);
            out[7] = (byte) n;
        }
        System.arraycopy(body, 0, out, header, n);
        return new EncodedMessage(out.length, out);
    }

    @Override
    public Message decode(byte[] data) {
        int n = data.length;
        if (n >= 5 && data[0] == 0 && data[1] == 0x53 && data[2] == 0x75) {
            if (data[3] == VBIN8 && (data[4] & 0xff) == n - 5) {
                return new DataMessage(Arrays.copyOfRange(data, 5, n));
            }
            if (data[3] == VBIN32 && n >= 8 && ((data[4] & 0xff) << 24 | (data[5] & 0xff) << 16
                    | (data[6] & 0xff) << 8 | (data[7] & 0xff)) == n - 8) {
                return new DataMessage(Arrays.copyOfRange(data, 8, n));
            }
        }
        return full.decode(data);
    }

    @Override
    public MessageBuilder messageBuilder() {
        return full.messageBuilder();
    }
}
