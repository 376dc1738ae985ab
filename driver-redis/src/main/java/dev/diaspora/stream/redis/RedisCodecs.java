package dev.diaspora.stream.redis;

import dev.diaspora.stream.DataView;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.ToByteBufEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The driver's Lettuce codec: keys are UTF-8 strings; values sent are {@link ByteBuffer}s, {@code byte[]}s,
 * {@link String}s or {@link Part}s (a range of a producer's {@link DataView}), written straight into Netty's buffer so
 * that event data is copied once, into the socket buffer; values received are heap {@link ByteBuffer}s (Lettuce's
 * buffer is valid only during the decode call, so this is the one copy the client forces).
 *
 * <p>Thread safety: stateless.
 */
final class RedisCodecs implements RedisCodec<String, Object>, ToByteBufEncoder<String, Object> {
    static final RedisCodecs CODEC = new RedisCodecs();

    /** A range of a data view sent as one value (one chunk of an event's data). */
    record Part(DataView view, long offset, int length) {
    }

    private RedisCodecs() {
    }

    @Override
    public String decodeKey(ByteBuffer bytes) {
        return StandardCharsets.UTF_8.decode(bytes).toString();
    }

    @Override
    public Object decodeValue(ByteBuffer bytes) {
        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
        copy.put(bytes).flip();
        return copy;
    }

    @Override
    public ByteBuffer encodeKey(String key) {
        return ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public ByteBuffer encodeValue(Object value) {
        ByteBuffer out = ByteBuffer.allocate(estimateSize(value));
        if (value instanceof ByteBuffer b) {
            out.put(b.duplicate());
        } else if (value instanceof byte[] a) {
            out.put(a);
        } else if (value instanceof String s) {
            out.put(s.getBytes(StandardCharsets.UTF_8));
        } else {
            Part p = (Part) value;
            p.view().read(p.offset(), out.array(), 0, p.length());
            out.position(p.length());
        }
        return out.flip();
    }

    @Override
    public void encodeKey(String key, ByteBuf target) {
        target.writeCharSequence(key, StandardCharsets.UTF_8);
    }

    @Override
    public void encodeValue(Object value, ByteBuf target) {
        if (value instanceof ByteBuffer b) {
            target.writeBytes(b.duplicate());
        } else if (value instanceof byte[] a) {
            target.writeBytes(a);
        } else if (value instanceof String s) {
            target.writeCharSequence(s, StandardCharsets.UTF_8);
        } else {
            Part p = (Part) value;
            long at = p.offset();
            long end = at + p.length();
            long segStart = 0;
            for (ByteBuffer seg : p.view().segments()) {
                long segEnd = segStart + seg.remaining();
                if (segEnd > at && segStart < end) {
                    int from = (int) (Math.max(at, segStart) - segStart);
                    int to = (int) (Math.min(end, segEnd) - segStart);
                    ByteBuffer d = seg.duplicate();
                    d.position(d.position() + from).limit(d.position() + (to - from));
                    target.writeBytes(d);
                }
                segStart = segEnd;
            }
        }
    }

    @Override
    public int estimateSize(Object keyOrValue) {
        if (keyOrValue instanceof ByteBuffer b) {
            return b.remaining();
        } else if (keyOrValue instanceof byte[] a) {
            return a.length;
        } else if (keyOrValue instanceof String s) {
            return ByteBufUtil.utf8Bytes(s);
        } else if (keyOrValue instanceof Part p) {
            return p.length();
        }
        return 0;
    }

    /**
     * Exact: Lettuce then writes each value straight into the command's buffer; with an estimate it encodes each
     * value into a temporary buffer first and copies it over (a second copy of every event's data).
     */
    @Override
    public boolean isEstimateExact() {
        return true;
    }

    /** @return the bytes of a value received (a heap buffer from {@link #decodeValue}), as text */
    static String text(Object value) {
        if (value == null) {
            return null;
        }
        ByteBuffer b = ((ByteBuffer) value).duplicate();
        return StandardCharsets.UTF_8.decode(b).toString();
    }
}
