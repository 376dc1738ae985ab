package dev.diaspora.stream.files;

import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;

/**
 * The whole TCK against the files-v0 driver, each test on a fresh temporary root directory; what v0 cannot do (time
 * lookup, deletion, groups, retention) is skipped through its capabilities.
 */
class V0TckTest extends DriverTck {
    @Override
    protected String driverName() {
        return V0DriverProvider.NAME;
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return Metadata.of("{\"root_path\":\"" + dir + "\"}");
    }
}
