package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.Metadata;

/**
 * The engine's bridge to the flyweight forms of {@link Metadata} and {@link DataDescriptor}, which a consumer opened
 * with {@code recycleEvents(true)} aims at each event in turn instead of making objects per event. Each API class
 * registers its access here when it is initialized; the package is not exported, so applications cannot reach it.
 * Not API.
 *
 * <p>Thread safety: each access is registered once, during its class's initialization, and read after it.
 */
public final class Flyweights {
    /** What {@link Metadata} lets the engine do with a flyweight. */
    public interface MetadataAccess {
        /** @return a new flyweight showing empty text (aim it before use) */
        Metadata create();

        /**
         * Aims flyweight {@code m} at {@code text[0, length)} and drops the tree parsed from its previous text; the
         * caller owns {@code text} and changes it only when the flyweight is out of the application's hands.
         */
        void aim(Metadata m, byte[] text, int length);
    }

    /** What {@link DataDescriptor} lets the engine do with a flyweight. */
    public interface DescriptorAccess {
        /** @return a new flyweight of no data at location 0, with no views (aim it before use) */
        DataDescriptor create();

        /**
         * Aims flyweight {@code d} at {@code size} bytes at {@code location}, as {@link DataDescriptor#of(long, long)}
         * would describe them.
         *
         * @return {@code d}
         */
        DataDescriptor aim(DataDescriptor d, long location, long size);
    }

    // volatile, and read without the monitor: a reader never holds it while it initializes an API class (whose
    // initializer registers under it), so that two threads initializing both sides cannot deadlock
    private static volatile MetadataAccess metadata;
    private static volatile DescriptorAccess descriptors;

    private Flyweights() {
    }

    /**
     * Called by {@link Metadata}'s static initializer only.
     *
     * @throws IllegalStateException when called a second time
     */
    public static synchronized void register(MetadataAccess access) {
        if (metadata != null) {
            throw new IllegalStateException("the metadata flyweight access is registered once, by Metadata itself");
        }
        metadata = access;
    }

    /**
     * Called by {@link DataDescriptor}'s static initializer only.
     *
     * @throws IllegalStateException when called a second time
     */
    public static synchronized void register(DescriptorAccess access) {
        if (descriptors != null) {
            throw new IllegalStateException("the descriptor flyweight access is registered once, by DataDescriptor"
                    + " itself");
        }
        descriptors = access;
    }

    /** @return the access to flyweight descriptors */
    static DescriptorAccess descriptors() {
        if (descriptors == null) {
            DataDescriptor.NONE.size(); // initializes DataDescriptor, which registers
        }
        return descriptors;
    }

    /** @return the access to flyweight metadata */
    static MetadataAccess metadata() {
        if (metadata == null) {
            Metadata.EMPTY.size(); // initializes Metadata, which registers
        }
        return metadata;
    }
}
