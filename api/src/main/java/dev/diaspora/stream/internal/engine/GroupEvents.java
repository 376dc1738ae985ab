package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.AssignmentListener;
import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.ConsumerConflictException;
import java.util.Set;

/**
 * A consumer's side of group rebalances: which partitions were revoked (so that a later acknowledgement of one of
 * their events fails instead of vanishing), and the user's {@link AssignmentListener}, called safely. Not API.
 *
 * <p>Thread safety: {@link #revoke}, {@link #assigned} and the listener calls run on the fetch thread;
 * {@link #checkAck} on any thread.
 */
final class GroupEvents {
    private final String consumer;
    private final String topic;
    private final AssignmentListener listener;
    private final BackgroundErrorHandler errors;
    private final PartitionLongs revoked; // per partition: 1 from revocation until assigned again

    GroupEvents(String consumer, String topic, AssignmentListener listener, int numPartitions,
            BackgroundErrorHandler errors) {
        this.errors = errors;
        this.consumer = consumer;
        this.topic = topic;
        this.listener = listener;
        this.revoked = new PartitionLongs(numPartitions, 0);
    }

    /** Marks partitions revoked; call before reading their acknowledged positions (see {@link #checkAck}). */
    void revoke(Set<Integer> partitions) {
        for (int p : partitions) {
            revoked.set(p, 1);
        }
    }

    /** The topic grew to {@code numPartitions} partitions. */
    void grow(int numPartitions) {
        revoked.grow(numPartitions);
    }

    /** The partitions arrived (again). */
    void assigned(Set<Integer> partitions) {
        for (int p : partitions) {
            revoked.set(p, 0);
        }
    }

    /**
     * Called after an acknowledgement was recorded: a revocation either read it (then it is stored) or had marked the
     * partition before (then this throws, and the event is delivered again to the partition's next reader).
     */
    void checkAck(int p, long id) {
        if (revoked.get(p) != 0) {
            throw new ConsumerConflictException("consumer '" + consumer + "' of topic '" + topic + "' no longer reads"
                    + " partition " + p + " (a group rebalance gave it to another consumer of the name, or this one"
                    + " missed its heartbeats for longer than its sessionTimeout): the acknowledgement of event " + id
                    + " is not stored and the partition's new reader may deliver it again. Acknowledge promptly, keep"
                    + " the fetch thread free (selector, allocator, listener), or use ConsumerOptions.targets for a"
                    + " fixed assignment.");
        }
    }

    void onAssigned(Set<Integer> partitions) {
        try {
            listener.onAssigned(partitions);
        } catch (RuntimeException e) {
            errors.onError("consumer '" + consumer + "' of topic '" + topic + "': the assignment listener failed in"
                    + " onAssigned(" + partitions + "); the consumer goes on", e);
        }
    }

    void onRevoked(Set<Integer> partitions) {
        try {
            listener.onRevoked(partitions);
        } catch (RuntimeException e) {
            errors.onError("consumer '" + consumer + "' of topic '" + topic + "': the assignment listener failed in"
                    + " onRevoked(" + partitions + "); the consumer goes on", e);
        }
    }
}
