package dev.diaspora.stream.netty.protocol;

import dev.diaspora.stream.LostRange;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The payloads of OK answers that carry fields, of ERROR frames and of NOTIFY pushes (PROTOCOL.md, "Requests",
 * "Pushes", "Errors"): the server encodes them, the client decodes them. A client bounds every count it reads by the
 * protocol's limits and by the bytes of the frame, so a broken server cannot make it allocate beyond the frame.
 * The answers of READ and READ_DATA are {@link ReadAnswer} and the client's {@code ReadDataCodec}.
 *
 * <p>Thread safety: stateless; the records are immutable (arrays are not copied: do not modify them).
 */
public final class Answers {
    private Answers() {
    }

    /** The answer to OPEN_TOPIC: the handle, the topic's components (JSON) and its local partitions' bounds. */
    public record OpenTopicAnswer(int handle, String components, long[] firsts, long[] ends) {
        public void encode(ByteBuf out) {
            out.writeInt(handle);
            Protocol.writeJson(out, components);
            out.writeInt(ends.length);
            for (int p = 0; p < ends.length; p++) {
                out.writeLong(firsts[p]).writeLong(ends[p]);
            }
        }

        public static OpenTopicAnswer decode(ByteBuf in) {
            return Protocol.answer("OPEN_TOPIC answer", in, b -> {
                int handle = b.readInt();
                String components = Protocol.readJson(b, "components");
                int n = Protocol.readCount(b, TopicChangeFrames.MAX_PARTITIONS, 16, "OPEN_TOPIC partitions");
                long[] firsts = new long[n];
                long[] ends = new long[n];
                for (int i = 0; i < n; i++) {
                    firsts[i] = b.readLong();
                    ends[i] = b.readLong();
                }
                return new OpenTopicAnswer(handle, components, firsts, ends);
            });
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OpenTopicAnswer a && a.handle == handle && a.components.equals(components)
                    && Arrays.equals(a.firsts, firsts) && Arrays.equals(a.ends, ends);
        }

        @Override
        public int hashCode() {
            return handle * 31 + Arrays.hashCode(ends);
        }

        @Override
        public String toString() {
            return "OpenTopicAnswer[handle=" + handle + ", components=" + components + ", firsts="
                    + Arrays.toString(firsts) + ", ends=" + Arrays.toString(ends) + "]";
        }
    }

    /** The answer to LIST_TOPICS: each topic's name and description (JSON), in the server's order. */
    public record TopicList(Map<String, String> topics) {
        public void encode(ByteBuf out) {
            out.writeInt(topics.size());
            topics.forEach((name, description) -> {
                Protocol.writeString(out, name);
                Protocol.writeJson(out, description);
            });
        }

        public static TopicList decode(ByteBuf in) {
            return Protocol.answer("LIST_TOPICS answer", in, b -> {
                int n = Protocol.readCount(b, Protocol.MAX_COUNT, 6, "LIST_TOPICS count");
                Map<String, String> topics = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    topics.put(Protocol.readString(b, "topic name"), Protocol.readJson(b, "description"));
                }
                return new TopicList(topics);
            });
        }
    }

    /** A yes/no answer (TOPIC_EXISTS): one byte, nonzero for yes. */
    public record Flag(boolean value) {
        public void encode(ByteBuf out) {
            out.writeByte(value ? 1 : 0);
        }

        public static Flag decode(ByteBuf in) {
            return Protocol.answer("flag answer", in, b -> new Flag(b.readByte() != 0));
        }
    }

    /** The answer to BOUNDS: the first retained id and the next id of a partition. */
    public record BoundsAnswer(long first, long next) {
        public void encode(ByteBuf out) {
            out.writeLong(first).writeLong(next);
        }

        public static BoundsAnswer decode(ByteBuf in) {
            return Protocol.answer("BOUNDS answer", in, b -> new BoundsAnswer(b.readLong(), b.readLong()));
        }
    }

    /** A one-number answer: the id of ID_FOR_TIME, the lease of LEASE, the first id of APPEND. */
    public record LongValue(long value) {
        public void encode(ByteBuf out) {
            out.writeLong(value);
        }

        public static LongValue decode(ByteBuf in) {
            return Protocol.answer("answer", in, b -> new LongValue(b.readLong()));
        }
    }

    /** The answer to COMMITTED: stored positions by local partition. */
    public record Positions(Map<Integer, Long> positions) {
        public void encode(ByteBuf out) {
            out.writeInt(positions.size());
            positions.forEach((p, pos) -> out.writeInt(p).writeLong(pos));
        }

        public static Positions decode(ByteBuf in) {
            return Protocol.answer("COMMITTED answer", in, b -> {
                int n = Protocol.readCount(b, TopicChangeFrames.MAX_PARTITIONS, 12, "COMMITTED count");
                Map<Integer, Long> positions = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    positions.put(b.readInt(), b.readLong());
                }
                return new Positions(positions);
            });
        }
    }

    /** A list of names (CONSUMER_NAMES, MEMBERS). */
    public record Names(List<String> names) {
        public void encode(ByteBuf out) {
            out.writeInt(names.size());
            for (String n : names) {
                Protocol.writeString(out, n);
            }
        }

        /** @param max the most names the client accepts */
        public static Names decode(ByteBuf in, int max, String what) {
            return Protocol.answer(what, in, b -> {
                int n = Protocol.readCount(b, max, 2, what);
                List<String> names = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    names.add(Protocol.readString(b, what));
                }
                return new Names(names);
            });
        }
    }

    /** The answer to LOST_RANGES. */
    public record LostRangeList(List<LostRange> ranges) {
        public void encode(ByteBuf out) {
            out.writeInt(ranges.size());
            for (LostRange r : ranges) {
                out.writeLong(r.first()).writeLong(r.last());
                Protocol.writeString(out, Protocol.truncate(r.why()));
            }
        }

        public static LostRangeList decode(ByteBuf in) {
            return Protocol.answer("LOST_RANGES answer", in, b -> {
                int n = Protocol.readCount(b, Protocol.MAX_COUNT, 18, "LOST_RANGES count");
                List<LostRange> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    long first = b.readLong();
                    long last = b.readLong();
                    if (first < 0 || last < first) {
                        throw new Protocol.BadFrameException("LOST_RANGES answer: invalid range [" + first + ", "
                                + last + "]");
                    }
                    out.add(new LostRange(first, last, Protocol.readString(b, "lost range why")));
                }
                return new LostRangeList(out);
            });
        }
    }

    /** A one-string answer: the member id of JOIN. */
    public record Text(String value) {
        public void encode(ByteBuf out) {
            Protocol.writeString(out, value);
        }

        public static Text decode(ByteBuf in, String what) {
            return Protocol.answer(what, in, b -> new Text(Protocol.readString(b, what)));
        }
    }

    /** A NOTIFY push: the latest ends of the partitions of a topic handle (none: the topic was deleted). */
    public record Notify(int handle, long[] ends) {
        /** @return the bytes of the payload */
        public int size() {
            return 8 + 8 * ends.length;
        }

        public void encode(ByteBuf out) {
            out.writeInt(handle).writeInt(ends.length);
            for (long e : ends) {
                out.writeLong(e);
            }
        }

        public static Notify decode(ByteBuf in) {
            return Protocol.answer("NOTIFY", in, b -> {
                int handle = b.readInt();
                int n = Protocol.readCount(b, Protocol.MAX_COUNT, 8, "NOTIFY");
                long[] ends = new long[n];
                for (int i = 0; i < n; i++) {
                    ends[i] = b.readLong();
                }
                return new Notify(handle, ends);
            });
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Notify a && a.handle == handle && Arrays.equals(a.ends, ends);
        }

        @Override
        public int hashCode() {
            return handle * 31 + Arrays.hashCode(ends);
        }

        @Override
        public String toString() {
            return "Notify[handle=" + handle + ", ends=" + Arrays.toString(ends) + "]";
        }
    }

    /** An ERROR frame's payload: the error kind ({@code Protocol.E_*}) and the message. */
    public record ErrorAnswer(byte kind, String message) {
        public void encode(ByteBuf out) {
            out.writeByte(kind);
            Protocol.writeString(out, message);
        }

        public static ErrorAnswer decode(ByteBuf in) {
            return Protocol.answer("ERROR", in, b -> new ErrorAnswer(b.readByte(), Protocol.readString(b,
                    "error message")));
        }
    }
}
