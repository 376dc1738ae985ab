package dev.diaspora.stream.netty;

import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The end notifications of one server connection (PROTOCOL.md, "Pushes"): a topic's notifier thread hands the latest
 * ends of a handle over, and the event loop sends them as NOTIFY frames, coalescing what arrives while the channel is
 * not writable (only the latest ends of a handle are kept; a deletion notice, no ends, stays).
 *
 * <p>Thread safety: thread-safe.
 */
final class EndsPublisher {
    private final Channel channel;
    private final Map<Integer, long[]> pendingEnds = new ConcurrentHashMap<>();
    private final AtomicBoolean notifyScheduled = new AtomicBoolean();

    EndsPublisher(Channel channel) {
        this.channel = channel;
    }

    /** Queues the latest ends of a handle and schedules a flush on the event loop. */
    void push(int handle, long[] ends) {
        pendingEnds.merge(handle, ends, (was, now) -> was.length == 0 ? was : now); // a deletion notice stays
        if (notifyScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::flush);
        }
    }

    /** Drops what is queued for a handle (closed). */
    void forget(int handle) {
        pendingEnds.remove(handle);
    }

    /** Sends what is queued, if the channel is writable (on the event loop). */
    void flush() {
        notifyScheduled.set(false);
        if (!channel.isActive() || !channel.isWritable() || pendingEnds.isEmpty()) {
            return; // not writable: the writability change flushes the latest state
        }
        for (Integer h : List.copyOf(pendingEnds.keySet())) {
            long[] ends = pendingEnds.remove(h);
            if (ends == null) {
                continue;
            }
            Answers.Notify push = new Answers.Notify(h, ends);
            ByteBuf f = channel.alloc().buffer(4 + Protocol.HEADER + push.size());
            f.writeInt(Protocol.HEADER + push.size()).writeByte(Protocol.NOTIFY).writeLong(0);
            push.encode(f);
            channel.write(f, channel.voidPromise());
        }
        channel.flush();
    }
}
