package dev.diaspora.stream.files.storage;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The buffers of one batch of records (metadata text and the per-event arrays), reusable: a batch carries its
 * buffers as its {@code recycle} hook, which the engine runs when nothing it made refers to them any more (a consumer
 * that copies each event's metadata: {@code recycleEvents(true)} with the default serializer; see
 * {@link dev.diaspora.stream.spi.IncomingBatch}). The hook puts them in the reading thread's {@link Spare}, where the
 * thread's next batch read takes them; a consumer that never gives them back gets new ones for each batch, as before.
 *
 * <p>Thread safety: a spare slot is an atomic reference, so the hook may run on any thread; the buffers themselves
 * are used by one batch at a time (taken out of the slot before use, put back only when free).
 */
final class BatchBuffers implements Runnable {
    /** A reading thread's slot for one set of free buffers. */
    static final class Spare extends AtomicReference<BatchBuffers> {
        private static final long serialVersionUID = 1L;
    }

    private final Spare home;
    final byte[] meta;
    final int[] offsets;
    final long[] timestamps;
    final long[] sizes;
    final long[] locations;

    private BatchBuffers(Spare home, int events, int metaBytes) {
        this.home = home;
        this.meta = new byte[metaBytes];
        this.offsets = new int[events + 1];
        this.timestamps = new long[events];
        this.sizes = new long[events];
        this.locations = new long[events];
    }

    /**
     * @return the spare buffers if they hold {@code events} events and {@code metaBytes} bytes of metadata (the slot
     *     is emptied either way: too small ones are dropped), else new ones of exactly that size, with some room when
     *     they replace smaller ones
     */
    static BatchBuffers take(Spare spare, int events, int metaBytes) {
        BatchBuffers b = spare.getAndSet(null);
        if (b != null && b.timestamps.length >= events && b.meta.length >= metaBytes) {
            return b;
        }
        if (b == null) {
            return new BatchBuffers(spare, events, metaBytes);
        }
        // grown batches (an adaptive batch size, longer metadata): leave room to grow into
        return new BatchBuffers(spare, Math.max(events, b.timestamps.length),
                Math.max(metaBytes, Math.min(b.meta.length * 2, Integer.MAX_VALUE - 8)));
    }

    /** Metadata buffers larger than this are not kept: a thread's spare would pin them for its lifetime. */
    static final int MAX_KEPT_META = 4 << 20;

    /** The engine no longer refers to these buffers: they become the reading thread's spare ones. */
    @Override
    public void run() {
        if (meta.length <= MAX_KEPT_META) {
            home.lazySet(this);
        }
    }
}
