package dev.diaspora.stream.memory;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;

/**
 * The TCK against a named JVM-wide store: state survives closing and reopening the driver, so the persistence
 * contracts run too. The store is named after the test's temporary directory so tests do not share topics.
 */
class SharedInstanceTckTest extends DriverTck {
    @Override
    protected String driverName() {
        return "memory";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"instance\":\"tck-" + dir.getFileName() + "\"}");
    }

    @Override
    public Capabilities capabilities() {
        Capabilities c = super.capabilities();
        return new Capabilities(c.crossProcess(), true, c.nativePartialRead(), c.timeLookup(), c.deleteTopic(),
                c.maxEventSize(), c.consumerGroups(), c.staleMemberTakeover(), false, c.metadataVerbatim(), c.addPartitions(),
                c.alterableOptions());
    }
}
