package dev.diaspora.stream.memory;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;

/** The whole TCK against the memory driver, each test with its own private store. */
class MemoryTckTest extends DriverTck {
    @Override
    protected String driverName() {
        return "memory";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{}");
    }
}
