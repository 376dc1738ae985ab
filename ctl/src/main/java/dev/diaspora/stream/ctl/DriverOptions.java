package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code --driver NAME}, {@code --driver-config FILE.json} and {@code --driver.<key> <value>}: the options of every
 * command that touches a topic. The file's object and the dotted options are merged (the command line wins) and
 * passed to {@link Driver#open(String, Metadata)}, which rejects unknown keys.
 *
 * <p>Thread safety: confined to the command's thread.
 */
final class DriverOptions {
    private static final Logger LOG = LoggerFactory.getLogger(DriverOptions.class);

    @Option(names = "--driver", required = true, paramLabel = "NAME",
            description = "Driver name (see 'diaspora-ctl driver list'): files, memory, or any driver on the class "
                    + "path.")
    String name;

    @Option(names = "--driver-config", paramLabel = "FILE",
            description = "JSON file with the driver options; --driver.<key> <value> options are merged over it.")
    Path config;

    /** @return the merged driver options */
    ObjectNode options(CtlContext ctx) {
        return JsonConfig.merged(config, "--driver-config", ctx.dotted(), "driver");
    }

    /** Opens the driver. */
    Driver open(CtlContext ctx) {
        ObjectNode options = options(ctx);
        LOG.debug("Opening driver '{}' with {}", name, options);
        return Driver.open(name, Metadata.of(options));
    }
}
