package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.ComponentNotFoundException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.Validator;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds validators, partition selectors and serializers from their stored configuration
 * {@code {"type": T, options...}}. Not API: the public entry points are {@code Validator.fromConfig} and its peers,
 * and drivers call the {@code pluginPath} variants when they re-open a stored topic.
 *
 * <p>The configuration must be a JSON object. Without {@code "type"} it gives the default component. Otherwise
 * {@code T} is resolved, in this order, as:
 * <ol>
 *   <li>the name of a provider registered through {@link java.util.ServiceLoader} ({@code ValidatorProvider} and its
 *       peers; the built-ins are registered that way too);</li>
 *   <li>a fully qualified class name (it contains a '.' and no ':'), loaded through the thread's context class
 *       loader, then this module's: a class implementing the component interface, with a public constructor taking
 *       {@link Metadata} or a public no-argument one, or a class implementing the provider interface with a public
 *       no-argument constructor;</li>
 *   <li>{@code name:path/to/plugin.jar}: the jar is loaded (see {@code PluginJars} for where it may come from) and
 *       searched through {@link java.util.ServiceLoader} for a provider named {@code name}.</li>
 * </ol>
 * The whole configuration, {@code "type"} included, goes to the component. Exceptions thrown while constructing it
 * keep their type if they are {@link DiasporaException}s and are wrapped in {@link InvalidOptionException}
 * otherwise.
 *
 * <p>Thread safety: thread-safe.
 */
public final class Components {
    private Components() {
    }

    /** @return the validator that accepts every event (a shared instance) */
    public static Validator defaultValidator() {
        return DefaultValidator.INSTANCE;
    }

    /** @return a new round-robin selector (selectors have state, so every call makes one) */
    public static PartitionSelector defaultSelector() {
        return new RoundRobinSelector();
    }

    /** @return the serializer that stores the JSON text verbatim (a shared instance) */
    public static Serializer defaultSerializer() {
        return DefaultSerializer.INSTANCE;
    }

    /**
     * Builds a validator.
     *
     * @param config {@code {"type": ..., options...}}
     * @param pluginPath the directories plugin jars may come from (the driver option {@code plugin_path}), or null
     *     when user code asks, which may load any jar it names
     * @return a validator whose {@code config()} rebuilds it
     * @throws ComponentNotFoundException if the type cannot be found, or names a jar outside {@code pluginPath}
     * @throws InvalidOptionException if the configuration is malformed
     */
    public static Validator validator(Metadata config, List<Path> pluginPath) {
        return resolve(ComponentKind.VALIDATOR, config, pluginPath);
    }

    /**
     * Builds a partition selector; see {@link #validator(Metadata, List)}.
     *
     * @param config {@code {"type": ..., options...}}
     * @param pluginPath the directories plugin jars may come from, or null when user code asks
     * @return a partition selector whose {@code config()} rebuilds it
     * @throws ComponentNotFoundException if the type cannot be found, or names a jar outside {@code pluginPath}
     * @throws InvalidOptionException if the configuration is malformed
     */
    public static PartitionSelector selector(Metadata config, List<Path> pluginPath) {
        return resolve(ComponentKind.SELECTOR, config, pluginPath);
    }

    /**
     * Builds a serializer; see {@link #validator(Metadata, List)}.
     *
     * @param config {@code {"type": ..., options...}}
     * @param pluginPath the directories plugin jars may come from, or null when user code asks
     * @return a serializer whose {@code config()} rebuilds it
     * @throws ComponentNotFoundException if the type cannot be found, or names a jar outside {@code pluginPath}
     * @throws InvalidOptionException if the configuration is malformed
     */
    public static Serializer serializer(Metadata config, List<Path> pluginPath) {
        return resolve(ComponentKind.SERIALIZER, config, pluginPath);
    }

    static <C, P> C resolve(ComponentKind<C, P> kind, Metadata config, List<Path> pluginPath) {
        Objects.requireNonNull(config, "config");
        String context = "Cannot create " + kind.noun() + " from configuration";
        JsonNode json = ComponentConfig.jsonObject(config, context);
        JsonNode typeNode = json.get("type");
        if (typeNode == null) {
            return kind.createDefault(config);
        }
        if (!typeNode.isTextual()) {
            throw new InvalidOptionException(context + ": the \"type\" field must be a string (a provider name, a"
                    + " class name or name:path/to/plugin.jar), got " + ComponentConfig.describe(typeNode));
        }
        String type = typeNode.textValue();
        ComponentKind.ProviderIndex<P> index = kind.providers();
        P provider = index.byName.get(type);
        if (provider != null) {
            return kind.create(provider, type, config);
        }
        int colon = type.indexOf(':');
        if (colon >= 0) {
            return fromPluginJar(kind, type, colon, config, pluginPath);
        }
        if (type.indexOf('.') >= 0) {
            C component = fromClass(kind, type, config);
            if (component != null) {
                return component;
            }
        }
        StringBuilder msg = new StringBuilder("No ").append(kind.noun()).append(" named '").append(type)
                .append("' found: not a registered provider (available: ")
                .append(String.join(", ", index.byName.keySet()))
                .append("), not a class on the class path. Add the jar that provides it, or use"
                        + " name:path/to/plugin.jar");
        if (!index.failures.isEmpty()) {
            msg.append(". Some providers failed to load: ").append(String.join("; ", index.failures));
        }
        throw new ComponentNotFoundException(msg.toString());
    }

    private static <C, P> C fromPluginJar(ComponentKind<C, P> kind, String type, int colon, Metadata config,
            List<Path> pluginPath) {
        String name = type.substring(0, colon);
        String jar = type.substring(colon + 1);
        if (name.isEmpty() || jar.isEmpty()) {
            throw new InvalidOptionException("Cannot create " + kind.noun() + " from configuration: invalid \"type\" '"
                    + type + "', expected a provider name, a class name or name:path/to/plugin.jar");
        }
        String what = kind.noun() + " '" + name + "'";
        ClassLoader loader = PluginJars.loaderFor(what, jar, pluginPath);
        List<String> failures = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (P provider : ComponentKind.loadAll(kind.providerType(), loader, failures)) {
            String n;
            try {
                n = kind.nameOf(provider);
            } catch (RuntimeException e) {
                failures.add(provider.getClass().getName() + ".name() threw " + e);
                continue;
            }
            if (name.equals(n)) {
                return kind.create(provider, type, config);
            }
            names.add(n);
        }
        StringBuilder msg = new StringBuilder("No ").append(what).append(" in plugin jar ").append(jar)
                .append(" (the ").append(kind.providerType().getSimpleName()).append("s it can see are: ")
                .append(String.join(", ", names)).append("). Check the name before the ':' and the jar's META-INF/"
                        + "services/").append(kind.providerType().getName());
        if (!failures.isEmpty()) {
            msg.append(". Some providers failed to load: ").append(String.join("; ", failures));
        }
        throw new ComponentNotFoundException(msg.toString());
    }

    /** @return the component built from class {@code className}, or null if there is no such class */
    private static <C, P> C fromClass(ComponentKind<C, P> kind, String className, Metadata config) {
        Class<?> cls = loadClass(kind, className);
        if (cls == null) {
            return null;
        }
        if (kind.type().isAssignableFrom(cls)) {
            return kind.type().cast(instantiate(kind, cls, className, config));
        }
        if (kind.providerType().isAssignableFrom(cls)) {
            P provider = kind.providerType().cast(instantiate(kind, cls, className, null));
            return kind.create(provider, className, config);
        }
        throw new InvalidOptionException("Class " + className + " named as " + kind.noun() + " type implements neither "
                + kind.type().getName() + " nor " + kind.providerType().getName());
    }

    private static Class<?> loadClass(ComponentKind<?, ?> kind, String className) {
        List<ClassLoader> loaders = new ArrayList<>(2);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            loaders.add(context);
        }
        ClassLoader own = Components.class.getClassLoader();
        if (own != context) {
            loaders.add(own);
        }
        for (ClassLoader loader : loaders) {
            try {
                return Class.forName(className, false, loader); // initialised only once it is known to fit
            } catch (ClassNotFoundException e) {
                // try the next loader
            } catch (LinkageError e) {
                throw new InvalidOptionException("Cannot load class " + className + " named as " + kind.noun()
                        + " type: " + e, e);
            }
        }
        return null;
    }

    /**
     * Calls the public {@code (Metadata)} constructor, or else the public no-argument one.
     *
     * @param config the configuration, or null to require the no-argument constructor (providers)
     */
    private static Object instantiate(ComponentKind<?, ?> kind, Class<?> cls, String className, Metadata config) {
        Constructor<?> ctor = null;
        Object[] args = new Object[0];
        if (config != null) {
            try {
                ctor = cls.getConstructor(Metadata.class);
                args = new Object[] {config};
            } catch (NoSuchMethodException e) {
                // fall back to the no-argument constructor
            }
        }
        if (ctor == null) {
            try {
                ctor = cls.getConstructor();
            } catch (NoSuchMethodException e) {
                throw new InvalidOptionException("Class " + className + " named as " + kind.noun() + " type needs "
                        + (config != null ? "a public constructor taking (Metadata) or " : "")
                        + "a public no-argument constructor");
            }
        }
        try {
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DiasporaException) {
                throw (DiasporaException) cause;
            }
            if (cause instanceof Error && !(cause instanceof LinkageError)) {
                throw (Error) cause;
            }
            throw kind.creationFailed(className, cause);
        } catch (InstantiationException | IllegalAccessException e) {
            throw new InvalidOptionException("Cannot instantiate class " + className + " named as " + kind.noun()
                    + " type: it must be public and not abstract (" + e + ")", e);
        } catch (LinkageError e) {
            throw kind.creationFailed(className, e);
        }
    }
}
