package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.ComponentNotFoundException;
import dev.diaspora.stream.InvalidOptionException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Class loaders for plugin jars named by {@code name:path/to/plugin.jar}, one per canonical jar path, kept for the life
 * of the JVM (components made from a jar may be in use anywhere, so the loader is never closed).
 *
 * <p>Where a jar may come from depends on who asks . User code ({@code pluginPath} null)
 * may load any jar it names; a relative path is resolved against the working directory. A driver re-opening a stored
 * topic passes its {@code plugin_path} option: then a relative path is looked up in each listed directory in turn (then
 * in the working directory), and the jar's canonical path, symbolic links and {@code ..} resolved, must lie inside one
 * of the listed directories. Whoever can write a topic's configuration can therefore not make its openers load code
 * from anywhere else. Not API.
 *
 * <p>Thread safety: thread-safe.
 */
final class PluginJars {
    private static final ConcurrentHashMap<Path, URLClassLoader> LOADERS = new ConcurrentHashMap<>();

    private PluginJars() {
    }

    /**
     * @param what the component, for messages ("validator 'energy'")
     * @param jar the path as configured
     * @param pluginPath the driver's allowed directories, or null when user code asks
     * @return the class loader of the jar, created on first use; its parent is this module's loader
     * @throws ComponentNotFoundException if the jar does not exist or is outside {@code pluginPath}
     */
    static ClassLoader loaderFor(String what, String jar, List<Path> pluginPath) {
        Path canonical = locate(what, jar, pluginPath);
        if (pluginPath != null && !isUnder(canonical, pluginPath)) {
            throw new ComponentNotFoundException("Plugin jar " + canonical + " for " + what
                    + " is not under the driver option plugin_path " + pluginPath + ". Topics may only load plugins"
                    + " from those directories: copy the jar into one of them, or add its directory to plugin_path");
        }
        return LOADERS.computeIfAbsent(canonical, PluginJars::newLoader);
    }

    private static Path locate(String what, String jar, List<Path> pluginPath) {
        Path path;
        try {
            path = Paths.get(jar);
        } catch (InvalidPathException e) {
            throw new InvalidOptionException("Invalid plugin jar path '" + jar + "' for " + what + ": "
                    + e.getMessage(), e);
        }
        List<Path> candidates = new ArrayList<>();
        if (!path.isAbsolute() && pluginPath != null) {
            for (Path dir : pluginPath) {
                candidates.add(dir.resolve(path));
            }
        }
        candidates.add(path.toAbsolutePath());
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate)) {
                try {
                    return candidate.toRealPath();
                } catch (IOException e) {
                    throw new ComponentNotFoundException("Cannot read plugin jar " + candidate + " for " + what
                            + ": " + e, e);
                }
            }
        }
        throw new ComponentNotFoundException("Plugin jar '" + jar + "' for " + what + " does not exist (looked for "
                + candidates + "). Check the path after the ':' in \"type\"");
    }

    private static boolean isUnder(Path canonicalJar, List<Path> pluginPath) {
        for (Path dir : pluginPath) {
            Path canonicalDir;
            try {
                canonicalDir = dir.toRealPath();
            } catch (IOException e) {
                continue; // a missing directory holds no jar
            }
            if (canonicalJar.startsWith(canonicalDir)) {
                return true;
            }
        }
        return false;
    }

    private static URLClassLoader newLoader(Path canonicalJar) {
        URL url;
        try {
            url = canonicalJar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new ComponentNotFoundException("Cannot load plugin jar " + canonicalJar + ": " + e, e);
        }
        return new URLClassLoader("diaspora-plugin:" + canonicalJar.getFileName(), new URL[] {url},
                PluginJars.class.getClassLoader());
    }
}
