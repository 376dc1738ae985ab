package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Capabilities;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/**
 * The whole TCK against the healthy reference driver: every test must pass. It is also the example of a driver's TCK
 * subclass, with a capability override: the driver is persistent when it is given a named store.
 */
class ReferenceDriverTckTest extends DriverTck {
    @Override
    protected String driverName() {
        return ReferenceDriverProvider.NAME;
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return storeOptions(Fault.NONE, dir);
    }

    @Override
    public Capabilities capabilities() {
        Capabilities c = super.capabilities();
        return new Capabilities(c.crossProcess(), true, c.nativePartialRead(), c.timeLookup(), c.deleteTopic(),
                c.maxEventSize(), c.consumerGroups(), c.staleMemberTakeover(), c.retention(), c.metadataVerbatim(),
                c.addPartitions(), c.alterableOptions());
    }

    @AfterEach
    void dropStore() {
        ReferenceDriverProvider.dropStore(tempDir.toString());
    }

    /** @return options selecting {@code fault}, with a store named after the test's directory (persistent) */
    static Metadata storeOptions(Fault fault, Path dir) {
        String store = dir.toString().replace("\\", "\\\\").replace("\"", "\\\"");
        return Metadata.of("{\"" + ReferenceDriverProvider.FAULT + "\":\"" + fault.optionValue() + "\",\""
                + ReferenceDriverProvider.STORE + "\":\"" + store + "\"}");
    }
}
