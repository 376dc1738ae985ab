package dev.diaspora.stream.internal.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.DriverInfo;
import dev.diaspora.stream.DriverNotFoundException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.internal.json.Json;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.DriverProvider;
import dev.diaspora.stream.spi.Options;
import dev.diaspora.stream.spi.TopicNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds drivers through {@link ServiceLoader} and opens them. Not API. */
public final class Drivers {
    /** The engine's own driver option: directories plugin jars named in stored topic configs may load from. */
    public static final String PLUGIN_PATH = "plugin_path";

    private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
            "files", "dev.diaspora:diaspora-driver-files",
            "kafka", "dev.diaspora:diaspora-driver-kafka",
            "netty", "dev.diaspora:diaspora-driver-netty-rdma",
            "memory", "dev.diaspora:diaspora-driver-template");

    private Drivers() {
    }

    /** @return the providers on the class path by name (thread context loader, then this module's) */
    static Map<String, DriverProvider> providers() {
        Map<String, DriverProvider> out = new TreeMap<>();
        ClassLoader tccl = Thread.currentThread().getContextClassLoader();
        for (ClassLoader cl : new ClassLoader[] {tccl, Drivers.class.getClassLoader()}) {
            if (cl == null) {
                continue;
            }
            for (DriverProvider p : ServiceLoader.load(DriverProvider.class, cl)) {
                out.putIfAbsent(p.name(), p);
            }
        }
        return out;
    }

    /** Opens the named driver; see {@link Driver#open(String, Metadata)}. */
    public static Driver open(String name, Metadata options) {
        return open(name, options, BackgroundErrors.LOGGING);
    }

    /** Opens the named driver; see {@link Driver#open(String, Metadata, BackgroundErrorHandler)}. */
    public static Driver open(String name, Metadata options, BackgroundErrorHandler onBackgroundError) {
        return open(name, options, onBackgroundError, Clock.system());
    }

    /**
     * Opens the named driver whose producers and consumers take their time from {@code clock}: the engine's seam for
     * tests of timing rules, which pass a clock they move. Package-private on purpose: a user has no reason to run the
     * engine on another clock, so it is no option of {@link Driver#open}.
     */
    static Driver open(String name, Metadata options, BackgroundErrorHandler onBackgroundError, Clock clock) {
        Objects.requireNonNull(name, "driver name");
        Objects.requireNonNull(options, "options");
        Map<String, DriverProvider> all = providers();
        DriverProvider provider = all.get(name);
        if (provider == null) {
            String artifact = KNOWN_ARTIFACTS.get(name);
            String msg = "No driver named '" + name + "' on the class path. Available drivers: "
                    + (all.isEmpty() ? "none" : String.join(", ", all.keySet())) + ". "
                    + (artifact != null ? "Add the artifact " + artifact + " to use it."
                            : "Add the jar that provides it (a dev.diaspora.stream.spi.DriverProvider named '" + name
                                    + "').");
            throw new DriverNotFoundException(name, new ArrayList<>(all.keySet()), msg);
        }
        if (provider.spiVersion() != DriverProvider.SPI_VERSION) {
            throw new InvalidOptionException("Driver '" + name + "' was written for SPI version " + provider.spiVersion()
                    + " but this library implements version " + DriverProvider.SPI_VERSION
                    + "; use matching versions of the driver and dev.diaspora:diaspora-api.");
        }
        JsonNode root;
        try {
            root = options.json();
        } catch (InvalidMetadataException e) {
            throw new InvalidOptionException("Options of driver '" + name + "' are not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isObject()) {
            throw new InvalidOptionException("Options of driver '" + name + "' must be a JSON object, got " + root);
        }
        ObjectNode rest = ((ObjectNode) root).deepCopy();
        List<Path> pluginPath = new ArrayList<>();
        JsonNode pp = rest.remove(PLUGIN_PATH);
        if (pp != null) {
            if (!pp.isArray()) {
                throw new InvalidOptionException("Invalid value " + pp + " for option '" + PLUGIN_PATH + "' of driver '"
                        + name + "': expected an array of directory paths");
            }
            for (JsonNode e : pp) {
                if (!e.isTextual()) {
                    throw new InvalidOptionException("Invalid entry " + e + " in option '" + PLUGIN_PATH
                            + "': expected a directory path string");
                }
                pluginPath.add(Path.of(e.textValue()).toAbsolutePath().normalize());
            }
        }
        Options validated = provider.options().validate(Metadata.of(rest), "driver '" + name + "'");
        BackgroundErrorHandler errors = BackgroundErrorHandler.guarded(onBackgroundError);
        Backend backend = provider.open(validated, errors);
        try {
            return new DriverImpl(provider, backend, List.copyOf(pluginPath), errors, clock);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** @return every driver on the class path with its options */
    public static List<DriverInfo> available() {
        List<DriverInfo> out = new ArrayList<>();
        for (DriverProvider p : providers().values()) {
            out.add(new DriverInfo(p.name(), p.description(), p.options().infos(), p.topicOptions().infos()));
        }
        return out;
    }

    /** Checks a topic name with the one rule of every driver: see {@link TopicNames}. */
    static void checkTopicName(String name) {
        TopicNames.check(name);
    }

    static ObjectNode object() {
        return Json.object();
    }
}
