package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.spi.PartitionSelectorProvider;
import dev.diaspora.stream.spi.SerializerProvider;
import dev.diaspora.stream.spi.ValidatorProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kind of pluggable component (validator, partition selector, serializer): its interface, its provider
 * interface, how to name and call a provider, and the providers registered through {@link ServiceLoader}, found
 * lazily on first use and cached for the life of the JVM. Not API.
 *
 * <p>Thread safety: thread-safe; the provider index is built once under a lock and published through a volatile
 * field.
 *
 * @param <C> the component interface
 * @param <P> the provider interface
 */
final class ComponentKind<C, P> {
    private static final Logger LOG = LoggerFactory.getLogger(ComponentKind.class);
    /** Stops a class path whose every provider entry is broken from keeping us in the loop for long. */
    private static final int MAX_LOAD_FAILURES = 100;
    /** The providers of this package; they win over a third-party provider of the same name. */
    private static final Set<Class<?>> BUILT_IN = Set.of(DefaultValidatorProvider.class,
            SchemaValidatorProvider.class, DefaultPartitionSelectorProvider.class,
            HashPartitionSelectorProvider.class, DefaultSerializerProvider.class);

    static final ComponentKind<Validator, ValidatorProvider> VALIDATOR = new ComponentKind<>(
            "validator", Validator.class, ValidatorProvider.class,
            ValidatorProvider::name, ValidatorProvider::create,
            config -> new DefaultValidatorProvider().create(config));

    static final ComponentKind<PartitionSelector, PartitionSelectorProvider> SELECTOR = new ComponentKind<>(
            "partition selector", PartitionSelector.class, PartitionSelectorProvider.class,
            PartitionSelectorProvider::name, PartitionSelectorProvider::create,
            config -> new DefaultPartitionSelectorProvider().create(config));

    static final ComponentKind<Serializer, SerializerProvider> SERIALIZER = new ComponentKind<>(
            "serializer", Serializer.class, SerializerProvider.class,
            SerializerProvider::name, SerializerProvider::create,
            config -> new DefaultSerializerProvider().create(config));

    /** The registered providers by name, and the provider entries that failed to load. */
    static final class ProviderIndex<P> {
        final Map<String, P> byName;
        final List<String> failures;

        ProviderIndex(Map<String, P> byName, List<String> failures) {
            this.byName = Collections.unmodifiableMap(byName);
            this.failures = Collections.unmodifiableList(failures);
        }
    }

    private final String noun;
    private final Class<C> type;
    private final Class<P> providerType;
    private final Function<P, String> nameOf;
    private final BiFunction<P, Metadata, C> factory;
    private final Function<Metadata, C> defaultFactory;
    private final Object lock = new Object();
    private volatile ProviderIndex<P> index; // written once under lock; volatile so readers see a built index

    private ComponentKind(String noun, Class<C> type, Class<P> providerType, Function<P, String> nameOf,
            BiFunction<P, Metadata, C> factory, Function<Metadata, C> defaultFactory) {
        this.noun = noun;
        this.type = type;
        this.providerType = providerType;
        this.nameOf = nameOf;
        this.factory = factory;
        this.defaultFactory = defaultFactory;
    }

    /** @return "validator", "partition selector" or "serializer" */
    String noun() {
        return noun;
    }

    Class<C> type() {
        return type;
    }

    Class<P> providerType() {
        return providerType;
    }

    /** @return the provider's name */
    String nameOf(P provider) {
        return nameOf.apply(provider);
    }

    /** Builds the default component from a configuration without {@code "type"}. */
    C createDefault(Metadata config) {
        return defaultFactory.apply(config);
    }

    /**
     * Calls the provider. Errors thrown by the component keep their type if they are {@link DiasporaException}s, and
     * are wrapped in {@link InvalidOptionException} otherwise.
     *
     * @param typeName the configured {@code "type"}, for messages
     */
    C create(P provider, String typeName, Metadata config) {
        C component;
        try {
            component = factory.apply(provider, config);
        } catch (DiasporaException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw creationFailed(typeName, e);
        }
        if (component == null) {
            throw new InvalidOptionException("Cannot create " + noun + " '" + typeName + "': "
                    + provider.getClass().getName() + ".create returned null");
        }
        return component;
    }

    /** @return the exception for a component whose construction threw {@code cause} (not a DiasporaException) */
    InvalidOptionException creationFailed(String typeName, Throwable cause) {
        return new InvalidOptionException("Cannot create " + noun + " '" + typeName + "': " + cause, cause);
    }

    /** @return the providers registered through ServiceLoader, found on first call */
    ProviderIndex<P> providers() {
        ProviderIndex<P> i = index; // volatile read: a non-null index is fully built
        if (i == null) {
            synchronized (lock) {
                i = index;
                if (i == null) {
                    i = load();
                    index = i; // volatile write publishes the built index
                }
            }
        }
        return i;
    }

    /**
     * Finds the providers visible from this module's class loader and from the current thread's context class loader.
     * When two providers share a name, the built-in one wins, else the first found; a warning names both.
     */
    private ProviderIndex<P> load() {
        Set<ClassLoader> loaders = new LinkedHashSet<>();
        loaders.add(ComponentKind.class.getClassLoader());
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            loaders.add(context);
        }
        Map<String, P> byName = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        Set<Class<?>> seen = new HashSet<>();
        for (ClassLoader loader : loaders) {
            for (P provider : loadAll(providerType, loader, failures)) {
                if (!seen.add(provider.getClass())) {
                    continue;
                }
                String name;
                try {
                    name = nameOf(provider);
                } catch (RuntimeException e) {
                    failures.add(provider.getClass().getName() + ".name() threw " + e);
                    LOG.warn("Ignoring {} {}: name() threw", noun, provider.getClass().getName(), e);
                    continue;
                }
                if (name == null || name.isEmpty()) {
                    failures.add(provider.getClass().getName() + ".name() returned no name");
                    continue;
                }
                P existing = byName.get(name);
                if (existing == null) {
                    byName.put(name, provider);
                } else {
                    boolean replace = !isBuiltIn(existing) && isBuiltIn(provider);
                    P kept = replace ? provider : existing;
                    P dropped = replace ? existing : provider;
                    LOG.warn("Two {} providers are named '{}': using {}, ignoring {}", noun, name,
                            kept.getClass().getName(), dropped.getClass().getName());
                    byName.put(name, kept);
                }
            }
        }
        return new ProviderIndex<>(byName, failures);
    }

    /**
     * Instantiates every provider that {@code loader} sees. A broken entry (missing class, failing constructor) is
     * recorded in {@code failures} and skipped, so that one bad jar does not hide the others.
     */
    static <P> List<P> loadAll(Class<P> providerType, ClassLoader loader, List<String> failures) {
        List<P> out = new ArrayList<>();
        Iterator<P> it = ServiceLoader.load(providerType, loader).iterator();
        int failed = 0;
        while (failed < MAX_LOAD_FAILURES) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                out.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                failed++;
                failures.add(String.valueOf(e.getMessage()));
                LOG.warn("Ignoring a {} that failed to load: {}", providerType.getSimpleName(), e.getMessage(), e);
            }
        }
        return out;
    }

    private static boolean isBuiltIn(Object provider) {
        return BUILT_IN.contains(provider.getClass());
    }
}
