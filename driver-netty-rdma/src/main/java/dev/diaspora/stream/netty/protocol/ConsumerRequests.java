package dev.diaspora.stream.netty.protocol;

import io.netty.buffer.ByteBuf;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The requests of consumers (PROTOCOL.md, "Requests" and "Consumer groups"): stored positions, partition leases,
 * consumer names, and group membership.
 *
 * <p>Thread safety: stateless; the records are immutable.
 */
public final class ConsumerRequests {
    /** The longest member id accepted from a client; ids a server makes are 16 hexadecimal digits. */
    public static final int MAX_MEMBER_ID = 64;
    /** The longest consumer name of a group request, as the engine allows ({@code ConsumerOptions}). */
    public static final int MAX_CONSUMER_NAME = 200;
    /** The longest session timeout of a group member: one day. */
    public static final long MAX_SESSION_TIMEOUT_MS = TimeUnit.DAYS.toMillis(1);

    private ConsumerRequests() {
    }

    /** COMMITTED: the stored positions of a consumer, answered with a {@link Answers.Positions}. */
    public record Committed(int handle, String consumer) implements Request {
        @Override
        public byte type() {
            return Protocol.COMMITTED;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
            Protocol.writeString(out, consumer);
        }

        public static Committed decode(ByteBuf in) {
            return Protocol.request(Protocol.COMMITTED, in, b -> new Committed(b.readInt(),
                    Protocol.readString(b, "consumer name")));
        }
    }

    /**
     * COMMIT: stores positions of a consumer, by local partition (in iteration order; the server checks the
     * partitions against the topic).
     */
    public record Commit(int handle, String consumer, Map<Integer, Long> positions) implements Request {
        @Override
        public byte type() {
            return Protocol.COMMIT;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
            Protocol.writeString(out, consumer);
            out.writeInt(positions.size());
            positions.forEach((p, pos) -> out.writeInt(p).writeLong(pos));
        }

        /** @throws Protocol.BadFrameException also if a position is negative or there are too many */
        public static Commit decode(ByteBuf in) {
            return Protocol.request(Protocol.COMMIT, in, b -> {
                int handle = b.readInt();
                String name = Protocol.readString(b, "consumer name");
                int n = Protocol.readCount(b, TopicChangeFrames.MAX_PARTITIONS, 12, "COMMIT positions");
                Map<Integer, Long> positions = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    int p = b.readInt();
                    long pos = b.readLong();
                    if (pos < 0) {
                        throw new Protocol.BadFrameException("COMMIT: negative position " + pos);
                    }
                    positions.put(p, pos);
                }
                return new Commit(handle, name, positions);
            });
        }
    }

    /** LEASE: a consumer's exclusive use of a partition, answered with a {@link Answers.LongValue} (0: refused). */
    public record Lease(int handle, String consumer, int partition) implements Request {
        @Override
        public byte type() {
            return Protocol.LEASE;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
            Protocol.writeString(out, consumer);
            out.writeInt(partition);
        }

        public static Lease decode(ByteBuf in) {
            return Protocol.request(Protocol.LEASE, in, b -> new Lease(b.readInt(),
                    Protocol.readString(b, "consumer name"), b.readInt()));
        }
    }

    /** RELEASE: gives a lease up. */
    public record Release(long lease) implements Request {
        @Override
        public byte type() {
            return Protocol.RELEASE;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeLong(lease);
        }

        public static Release decode(ByteBuf in) {
            return Protocol.request(Protocol.RELEASE, in, b -> new Release(b.readLong()));
        }
    }

    /** CONSUMER_NAMES: the consumers with stored positions, answered with a {@link Answers.Names}. */
    public record ConsumerNames(int handle) implements Request {
        @Override
        public byte type() {
            return Protocol.CONSUMER_NAMES;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
        }

        public static ConsumerNames decode(ByteBuf in) {
            return Protocol.request(Protocol.CONSUMER_NAMES, in, b -> new ConsumerNames(b.readInt()));
        }
    }

    /** JOIN: a new member of a consumer's group, answered with its id (a {@link Answers.Text}). */
    public record Join(int handle, String consumer, int timeoutMs) implements Request {
        @Override
        public byte type() {
            return Protocol.JOIN;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
            Protocol.writeString(out, consumer);
            out.writeInt(timeoutMs);
        }

        /** @throws Protocol.BadFrameException also if the name or the session timeout is out of bounds */
        public static Join decode(ByteBuf in) {
            Join j = Protocol.request(Protocol.JOIN, in, b -> new Join(b.readInt(), consumerName(b), b.readInt()));
            if (j.timeoutMs <= 0 || j.timeoutMs > MAX_SESSION_TIMEOUT_MS) {
                throw new Protocol.BadFrameException("JOIN: session timeout " + j.timeoutMs + " ms outside [1, "
                        + MAX_SESSION_TIMEOUT_MS + "]");
            }
            return j;
        }
    }

    /** HEARTBEAT of a member. */
    public record Heartbeat(String memberId) implements Request {
        @Override
        public byte type() {
            return Protocol.HEARTBEAT;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, memberId);
        }

        public static Heartbeat decode(ByteBuf in) {
            return Protocol.request(Protocol.HEARTBEAT, in, b -> new Heartbeat(readMemberId(b)));
        }
    }

    /** LEAVE: a member ends its membership. */
    public record Leave(String memberId) implements Request {
        @Override
        public byte type() {
            return Protocol.LEAVE;
        }

        @Override
        public void encode(ByteBuf out) {
            Protocol.writeString(out, memberId);
        }

        public static Leave decode(ByteBuf in) {
            return Protocol.request(Protocol.LEAVE, in, b -> new Leave(readMemberId(b)));
        }
    }

    /** MEMBERS: the live members of a consumer's group, answered with a {@link Answers.Names}. */
    public record Members(int handle, String consumer) implements Request {
        @Override
        public byte type() {
            return Protocol.MEMBERS;
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeInt(handle);
            Protocol.writeString(out, consumer);
        }

        public static Members decode(ByteBuf in) {
            return Protocol.request(Protocol.MEMBERS, in, b -> new Members(b.readInt(), consumerName(b)));
        }
    }

    private static String consumerName(ByteBuf in) {
        String name = Protocol.readString(in, "consumer name");
        if (name.isEmpty() || name.length() > MAX_CONSUMER_NAME) {
            throw new Protocol.BadFrameException("consumer name of " + name.length() + " characters; names have 1 to "
                    + MAX_CONSUMER_NAME);
        }
        return name;
    }

    private static String readMemberId(ByteBuf in) {
        int n = in.getUnsignedShort(in.readerIndex());
        if (n > MAX_MEMBER_ID) {
            throw new Protocol.BadFrameException("member id of " + n + " bytes; ids are at most " + MAX_MEMBER_ID);
        }
        return Protocol.readString(in, "member id");
    }
}
