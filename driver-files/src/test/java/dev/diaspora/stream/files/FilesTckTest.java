package dev.diaspora.stream.files;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;

/** The whole TCK against the files driver, each test on a fresh temporary root directory. */
class FilesTckTest extends DriverTck {
    @Override
    protected String driverName() {
        return "files";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"root_path\":\"" + dir + "\"}");
    }

    /** Small segments that also roll by age, so that retention (whole segments) shows at the kit's scale. */
    @Override
    public String retentionTopicOptions() {
        return ",\"segment_size\":65536,\"segment.ms\":1000";
    }
}
