package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --driver NAME}, {@code --driver-config FILE.json} and {@code --driver.<key> <value>}: the options of every
 * command that touches a topic. The file's object and the dotted options are merged (the command line wins) and
 * passed to {@link Driver#open(String, Metadata)}, which rejects unknown keys. Without {@code --driver}, the
 * environment variable {@value #ENV_DRIVER} names the driver; without {@code --driver-config},
 * {@value #ENV_DRIVER_CONFIG} is the file (the dotted options still merge over it), unless {@code --driver} names
 * another driver than {@value #ENV_DRIVER} (the file holds that driver's options). No driver at all: a usage error.
 *
 * <p>Thread safety: confined to the command's thread.
 */
final class DriverOptions {
    private static final Logger LOG = LoggerFactory.getLogger(DriverOptions.class);
    /** The environment variable naming the driver when {@code --driver} is absent. */
    static final String ENV_DRIVER = "DIASPORA_DRIVER";
    /** The environment variable naming the driver options file when {@code --driver-config} is absent. */
    static final String ENV_DRIVER_CONFIG = "DIASPORA_DRIVER_CONFIG";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--driver", paramLabel = "NAME",
            description = "Driver name (see 'diaspora-ctl driver list'): files, memory, or any driver on the class "
                    + "path. Default: $" + ENV_DRIVER + "; one of them is required.")
    String name;

    @Option(names = "--driver-config", paramLabel = "FILE",
            description = "JSON file with the driver options; --driver.<key> <value> options are merged over it. "
                    + "Default: $" + ENV_DRIVER_CONFIG + ".")
    Path config;

    /**
     * @return the driver name: {@code --driver}, else {@value #ENV_DRIVER}
     * @throws ParameterException (a usage error) when neither is given
     */
    String name(CtlContext ctx) {
        if (name != null) {
            return name;
        }
        String env = ctx.env().get(ENV_DRIVER);
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        throw new ParameterException(mixee.commandLine(), "Missing required option: '--driver=NAME' (or set "
                + ENV_DRIVER + "; 'diaspora-ctl driver list' shows the drivers)");
    }

    /**
     * @return the merged driver options: the file ({@code --driver-config}, else {@value #ENV_DRIVER_CONFIG} for the
     *     environment's driver), then the dotted options
     */
    ObjectNode options(CtlContext ctx) {
        if (config != null) {
            return JsonConfig.merged(config, "--driver-config", ctx.dotted(), "driver");
        }
        String env = ctx.env().get(ENV_DRIVER_CONFIG);
        String envDriver = ctx.env().get(ENV_DRIVER);
        boolean sameDriver = name == null || envDriver == null || envDriver.isBlank() || name.equals(envDriver.trim());
        if (env != null && !env.isBlank() && sameDriver) {
            return JsonConfig.merged(Path.of(env.trim()), "$" + ENV_DRIVER_CONFIG, ctx.dotted(), "driver");
        }
        return JsonConfig.merged(null, "--driver-config", ctx.dotted(), "driver");
    }

    /** Opens the driver. */
    Driver open(CtlContext ctx) {
        String driverName = name(ctx);
        ObjectNode options = options(ctx);
        LOG.debug("Opening driver '{}' with {}", driverName, options);
        return Driver.open(driverName, Metadata.of(options));
    }
}
