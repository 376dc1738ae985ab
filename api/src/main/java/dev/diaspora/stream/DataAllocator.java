package dev.diaspora.stream;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Provides the memory a consumer fills with the selected data. It receives the <em>selected</em> descriptor and
 * returns a view of at least {@code descriptor.size()} bytes; the engine fills it from offset 0 and the event's
 * {@link Event#data()} is that view trimmed to exactly the selected bytes. It is not called when the selection is
 * empty.
 *
 * <p>Ownership: the memory belongs to the allocator's owner. {@link #release(DataView)} is called for views of
 * prefetched events that are dropped before delivery (close, seek), so pooled allocators can take them back; and,
 * for a consumer opened with {@link ConsumerOptions#recycleEvents(boolean)}, for the views its own pool does not keep
 * (see there): such a consumer asks for a view only when its pool holds none of the size.
 *
 * <p>Threading: as {@link DataSelector}: the consumer's fetch thread, one event at a time.
 */
@FunctionalInterface
public interface DataAllocator {
    /** The largest segment {@link #heap()} and {@link #direct()} allocate. */
    int MAX_SEGMENT = Integer.MAX_VALUE - 8;

    /**
     * @param metadata the event's metadata
     * @param descriptor the selected data
     * @return a view with at least {@code descriptor.size()} bytes of room
     */
    DataView allocate(Metadata metadata, DataDescriptor descriptor);

    /** Takes back a view that was allocated but will not be delivered. The default does nothing. */
    default void release(DataView view) {
    }

    /** Allocates heap buffers (the default); above 2 GiB the view has several segments. */
    static DataAllocator heap() {
        return (md, d) -> allocate(d.size(), false);
    }

    /** Allocates direct buffers: no extra JDK copy on file and socket I/O; preferred for large data. */
    static DataAllocator direct() {
        return (md, d) -> allocate(d.size(), true);
    }

    private static DataView allocate(long size, boolean direct) {
        if (size <= MAX_SEGMENT) {
            int n = (int) size;
            return DataView.ofOwned(direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n));
        }
        List<ByteBuffer> segs = new ArrayList<>();
        for (long left = size; left > 0; left -= MAX_SEGMENT) {
            int n = (int) Math.min(left, MAX_SEGMENT);
            segs.add(direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n));
        }
        return DataView.of(segs);
    }
}
