package dev.diaspora.stream.tck;

import dev.diaspora.stream.Consumer;

/**
 * A consumer-group member that a test can crash as if its process died: provided by the driver's test class through
 * {@link TckFixture#crashableMember}, since only the driver knows how to end a member without a clean close (for a
 * networked driver: drop the member's connections; for a driver of OS locks: kill a process).
 *
 * <p>Ownership: the test closes it, which releases whatever is left (after a crash, quietly). Thread safety: the
 * consumer is used by the test's thread; {@link #crash()} and {@link #close()} are called by that thread too.
 */
public interface CrashableMember extends AutoCloseable {
    /** @return the member's consumer; after {@link #crash()} the test no longer uses it */
    Consumer consumer();

    /**
     * Ends the member as a crash would: no leave, no last commit, no lease released by the member. Returns at once;
     * the driver notices as it would notice a dead process.
     */
    void crash();

    /** Releases the member's resources; never throws for what the crash broke. */
    @Override
    void close();
}
