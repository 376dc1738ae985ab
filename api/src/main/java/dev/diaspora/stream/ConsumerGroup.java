package dev.diaspora.stream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of the group of one consumer name on one topic, as {@link TopicHandle#describeGroup} reads it without
 * joining: the live members and the partitions each holds. Consumers of one name without explicit targets form the
 * group (see {@link Consumer}); a consumer with explicit targets is not a member, and a partition it reads is held by
 * no member here.
 *
 * <p>A snapshot, not a view: members may join, leave or move partitions right after it was taken. A partition held by
 * no member is free, read by a consumer with explicit targets, or in the middle of a handoff. What "live" means is
 * the driver's: memory: joined, not left, heartbeated within its session timeout; files: its process holds the
 * member's lock (a process that stalled without dying still shows, since one read cannot see a heartbeat go stale).
 *
 * <p>Thread safety: immutable.
 *
 * @param name the consumer name
 * @param members the live members sorted by id (empty when none is running)
 */
public record ConsumerGroup(String name, List<Member> members) {
    /**
     * One live member.
     *
     * <p>Thread safety: immutable.
     *
     * @param id the member's id, unique in the group and the same in every process (a driver's own token: random hex
     *     digits for memory and files)
     * @param partitions the partitions whose lease it holds, sorted; empty for a member that holds none (more
     *     members than partitions, or still joining), or null if the driver cannot tell for this member (a member
     *     of an older version of the driver)
     */
    public record Member(String id, List<Integer> partitions) {
        /** Checks the id and copies the partitions, sorted. */
        public Member {
            Objects.requireNonNull(id, "id");
            if (partitions != null) {
                Integer[] sorted = partitions.toArray(new Integer[0]);
                Arrays.sort(sorted);
                partitions = List.of(sorted);
            }
        }

        /** @return whether the driver reported this member's partitions */
        public boolean partitionsKnown() {
            return partitions != null;
        }
    }

    /** Checks the name and copies the members, sorted by id. */
    public ConsumerGroup {
        Objects.requireNonNull(name, "name");
        List<Member> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(Member::id));
        members = List.copyOf(sorted);
    }

    /** @return the member holding the lease of {@code partition}, if a member reports it */
    public Optional<Member> holderOf(int partition) {
        for (Member m : members) {
            if (m.partitions() != null && m.partitions().contains(partition)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
