package dev.diaspora.stream.tck.selftest;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;

/** The whole TCK against the reference driver with a {@code RecordAppender} (the kind a Kafka driver uses). */
class ReferenceRecordModeTckTest extends DriverTck {
    @Override
    protected String driverName() {
        return ReferenceDriverProvider.NAME;
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"" + ReferenceDriverProvider.APPEND_MODE + "\":\"record\"}");
    }
}
