package dev.diaspora.stream.spi;

/**
 * The right of one read session to read, and store positions of, one partition for one consumer name: the fence that
 * keeps a partition read by one live member of a name at a time.
 *
 * <p>Ownership: the session that took it closes it (after storing its position, when it gives the partition up).
 * Thread safety: thread-safe.
 */
public interface Lease extends AutoCloseable {
    /**
     * @return whether this lease is still held. False once closed, or once the driver gave the partition to another
     *     member because this one missed its heartbeats (memory driver); an OS file lock stays held while its process
     *     lives. A session never stores a position through a lease that is not held.
     */
    boolean held();

    /** Releases the lease. Idempotent. */
    @Override
    void close();

    /** Wraps a driver's plain lease (held until closed). */
    static Lease of(AutoCloseable lease) {
        return new Lease() {
            private volatile boolean open = true;

            @Override
            public boolean held() {
                return open;
            }

            @Override
            public void close() {
                if (open) {
                    open = false;
                    try {
                        lease.close();
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new dev.diaspora.stream.DiasporaException("cannot release a lease: " + e, e);
                    }
                }
            }
        };
    }
}
