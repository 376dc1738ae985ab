package dev.diaspora.stream.netty.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The handshake (PROTOCOL.md, "Handshake"): the client's HELLO and the server's answer.
 *
 * <p>Thread safety: stateless; the records are immutable.
 */
public final class Handshake {
    private Handshake() {
    }

    /**
     * HELLO, the first frame of a connection. The magic is checked when decoding (a frame without it is not from a
     * client of this protocol); the version and the token are the server's to judge.
     */
    public record Hello(int version, String token) implements Request {
        /** @return the HELLO of this client: {@link Protocol#VERSION} and {@code token} */
        public static Hello of(String token) {
            return new Hello(Protocol.VERSION, token);
        }

        @Override
        public byte type() {
            return Protocol.HELLO;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(Protocol.MAGIC).writeShort(version);
            Protocol.writeString(out, token);
        }

        /** @throws Protocol.BadFrameException if truncated, with a wrong magic or trailing bytes */
        public static Hello decode(ByteBuf in) {
            return Protocol.request(Protocol.HELLO, in, b -> {
                Protocol.need(b, 6, "HELLO");
                int magic = b.readInt();
                int version = b.readUnsignedShort();
                if (magic != Protocol.MAGIC) {
                    throw new Protocol.BadFrameException("HELLO: wrong magic 0x" + Integer.toHexString(magic)
                            + " (not a Diaspora client?)");
                }
                return new Hello(version, Protocol.readString(b, "token"));
            });
        }
    }

    /** The answer to HELLO: the server's protocol version, its id and its frame limit. */
    public record HelloAnswer(int version, String serverId, int maxFrame) {
        public void encode(ByteBuf out) {
            out.writeShort(version);
            Protocol.writeString(out, serverId);
            out.writeInt(maxFrame);
        }

        public static HelloAnswer decode(ByteBuf in) {
            return Protocol.answer("HELLO answer", in, b -> new HelloAnswer(b.readUnsignedShort(),
                    Protocol.readString(b, "server id"), b.readInt()));
        }
    }
}
