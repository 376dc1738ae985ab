package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The batches one {@link KafkaReadSession} hands to the engine: builds an {@link IncomingBatch} from consecutive
 * records of one partition (metadata copied into one block, data kept as views of Kafka's fetch buffers) and serves
 * {@link #readData} from those views until the engine releases the batch.
 *
 * <p>Ownership: each built batch holds its records' data views until its release callback runs (any thread), so the
 * fetch responses behind them stay in memory that long. Thread safety: {@link #build} and {@link #readData} on the
 * session's fetch thread; a batch's release and {@link #clear()} on any thread.
 */
final class KafkaBatches {
    private static final int INDEX_BITS = 20;
    /** The most events one batch may hold (the index of an event in its batch has {@value #INDEX_BITS} bits). */
    static final int MAX_EVENTS = 1 << INDEX_BITS;

    private final String topicName;
    private final RecordFraming framing;
    private final ConcurrentHashMap<Long, ByteBuffer[]> held = new ConcurrentHashMap<>();
    private long batchSeq;

    KafkaBatches(String topicName, RecordFraming framing) {
        this.topicName = topicName;
        this.framing = framing;
    }

    /** @return a batch of {@code take} (at most {@link #MAX_EVENTS} consecutive records of partition {@code p}) */
    IncomingBatch build(int p, List<ConsumerRecord<byte[], ByteBuffer>> take) {
        int n = take.size();
        int[] offsets = new int[n + 1];
        long[] ts = new long[n];
        long[] sizes = new long[n];
        long[] locations = new long[n];
        ByteBuffer[] data = new ByteBuffer[n];
        byte[][] mds = new byte[n][];
        int mdTotal = 0;
        for (int i = 0; i < n; i++) {
            mds[i] = framing.metadata(take.get(i));
            data[i] = framing.data(take.get(i));
            mdTotal += mds[i].length;
        }
        byte[] md = new byte[mdTotal];
        long seq = batchSeq++;
        int at = 0;
        for (int i = 0; i < n; i++) {
            offsets[i] = at;
            System.arraycopy(mds[i], 0, md, at, mds[i].length);
            at += mds[i].length;
            offsets[i + 1] = at;
            ts[i] = take.get(i).timestamp() * 1_000_000L;
            sizes[i] = data[i].remaining();
            locations[i] = (seq << INDEX_BITS) | i;
        }
        held.put(seq, data);
        return new IncomingBatch(p, take.get(0).offset(), n, ByteBuffer.wrap(md, 0, at), offsets, ts, sizes,
                locations, () -> held.remove(seq));
    }

    /** Fills each request from the data views of its (unreleased) batch. */
    void readData(List<DataRequest> requests) {
        for (DataRequest r : requests) {
            long loc = r.descriptor().locationAsLong();
            ByteBuffer[] data = held.get(loc >>> INDEX_BITS);
            int i = (int) (loc & ((1 << INDEX_BITS) - 1));
            if (data == null || i >= data.length) {
                r.fail(new DiasporaException("partition " + r.partition() + " event " + r.eventId() + " of topic '"
                        + topicName + "': its data is no longer held by the kafka session"));
                continue;
            }
            try {
                r.fillFrom(data[i]);
            } catch (DiasporaException e) {
                r.fail(e);
            }
        }
    }

    /** Forgets every batch's data (the session closes). */
    void clear() {
        held.clear();
    }
}
