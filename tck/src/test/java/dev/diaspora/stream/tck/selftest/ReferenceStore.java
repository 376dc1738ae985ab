package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.ChangeNotifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The state of the reference driver: topics, their partitions, stored positions and leases. */
final class ReferenceStore {
    /** One stored event: copies of its serialized metadata and data. */
    record Record(long id, byte[] metadata, byte[] data, long timestampNanos) {
    }

    /** One partition: an append-only list of records (with gaps only under the drop_event fault). */
    static final class Partition {
        final List<Record> records = new ArrayList<>(); // guarded by this
        long next; // guarded by this
        long first; // guarded by this: the first retained id
        long lastTimestamp; // guarded by this

        /**
         * Drops the records older than {@code retention.retentionMs()} (storage clock), and the oldest while the
         * records hold more than {@code retention.retentionBytes()}, unless {@code keep}.
         */
        void retain(dev.diaspora.stream.spi.Retention retention, boolean keep) {
            if (!retention.any() || keep) {
                return;
            }
            long oldest = retention.retentionMs() <= 0 ? Long.MIN_VALUE
                    : dev.diaspora.stream.spi.StorageClock.nowNanos() - retention.retentionMs() * 1_000_000L;
            long bytes = 0;
            for (Record r : records) {
                bytes += r.metadata().length + r.data().length;
            }
            int drop = 0;
            while (drop < records.size() && (records.get(drop).timestampNanos() < oldest
                    || retention.retentionBytes() > 0 && bytes > retention.retentionBytes())) {
                bytes -= records.get(drop).metadata().length + records.get(drop).data().length;
                drop++;
            }
            if (drop > 0) {
                first = drop < records.size() ? records.get(drop).id() : next;
                records.subList(0, drop).clear();
            }
        }

        /** @return the index of the first record with an id at or after {@code id}, or size() */
        int indexOf(long id) {
            int lo = 0;
            int hi = records.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (records.get(mid).id() < id) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /** One topic. */
    static final class Topic {
        final String name;
        volatile Metadata options; // replaced under the store's lock (alterTopic, addPartitions)
        final Metadata components;
        volatile Partition[] partitions; // replaced by a longer copy under the store's lock (addPartitions)
        final Map<String, Map<Integer, Long>> committed = new HashMap<>(); // guarded by itself
        /** Lease key (name, partition) to its holder's token; guarded by itself. */
        final Map<String, Object> leases = new HashMap<>();
        final ReferenceGroups groups = new ReferenceGroups();
        final ChangeNotifier notifier = new ChangeNotifier();
        /** Set when the topic is deleted: this object is one incarnation of the name. */
        volatile boolean deleted;

        Topic(String name, Metadata options, Metadata components, int partitions) {
            this.name = name;
            this.options = options;
            this.components = components;
            this.partitions = new Partition[partitions];
            for (int i = 0; i < partitions; i++) {
                this.partitions[i] = new Partition();
            }
        }
    }

    final Map<String, Topic> topics = new LinkedHashMap<>(); // guarded by this
    /** Topics deleted under the stale_delete fault. */
    final Map<String, Topic> deleted = new HashMap<>(); // guarded by this
    /** Events appended so far, for the drop_event fault. */
    final AtomicLong appended = new AtomicLong();
}
