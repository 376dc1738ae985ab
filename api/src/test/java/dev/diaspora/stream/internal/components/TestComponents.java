package dev.diaspora.stream.internal.components;

import dev.diaspora.stream.ComponentNotFoundException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.spi.ValidatorProvider;
import java.util.List;

/**
 * Components used by {@link ComponentsTest} to exercise each resolution path. {@link EnergyProvider} is registered in
 * the test class path's {@code META-INF/services}; {@link PluginEnergyProvider} is not, and is only found through a
 * plugin jar built by the test.
 */
public final class TestComponents {
    private TestComponents() {
    }

    /**
     * Rejects events whose {@code energy} exceeds the option {@code energy_max}. Has both a {@code (Metadata)} and a
     * no-argument constructor, so a test can tell which one resolution picked.
     */
    public static final class EnergyValidator implements Validator {
        private final long max;
        private final Metadata config;

        /** The constructor resolution should prefer. */
        public EnergyValidator(Metadata config) {
            this.max = config.json().path("energy_max").asLong(Long.MAX_VALUE);
            this.config = config;
        }

        /** Must not be picked when the (Metadata) constructor exists. */
        public EnergyValidator() {
            this.max = -1;
            this.config = Metadata.of("{\"type\":\"" + EnergyValidator.class.getName() + "\",\"energy_max\":-1}");
        }

        /** @return the configured bound */
        public long max() {
            return max;
        }

        @Override
        public void validate(Metadata metadata, DataView data) {
            long energy = metadata.json().path("energy").asLong();
            if (energy > max) {
                throw new ValidationException("energy " + energy + " is above energy_max " + max);
            }
        }

        @Override
        public Metadata config() {
            return config;
        }
    }

    /** Accepts everything; only has a no-argument constructor. */
    public static final class AcceptAllValidator implements Validator {
        /** The only constructor. */
        public AcceptAllValidator() {
        }

        @Override
        public void validate(Metadata metadata, DataView data) {
        }

        @Override
        public Metadata config() {
            return Metadata.of("{\"type\":\"" + AcceptAllValidator.class.getName() + "\"}");
        }
    }

    /** Has no constructor that resolution can use. */
    public static final class NoUsableConstructorValidator implements Validator {
        /** Takes a String, which resolution does not offer. */
        public NoUsableConstructorValidator(String unused) {
        }

        @Override
        public void validate(Metadata metadata, DataView data) {
        }

        @Override
        public Metadata config() {
            return Metadata.EMPTY;
        }
    }

    /**
     * Fails in its constructor: {@code "fail":"diaspora"} throws a {@link ComponentNotFoundException} (a
     * DiasporaException, which must keep its type), anything else an {@link IllegalStateException} (to be wrapped).
     */
    public static final class FailingValidator implements Validator {
        /** Always throws. */
        public FailingValidator(Metadata config) {
            if ("diaspora".equals(config.json().path("fail").asText())) {
                throw new ComponentNotFoundException("the detector calibration library is missing");
            }
            throw new IllegalStateException("boom");
        }

        @Override
        public void validate(Metadata metadata, DataView data) {
        }

        @Override
        public Metadata config() {
            return Metadata.EMPTY;
        }
    }

    /** Always picks partition 0; a selector with only a no-argument constructor. */
    public static final class FirstPartitionSelector implements PartitionSelector {
        /** The only constructor. */
        public FirstPartitionSelector() {
        }

        @Override
        public int select(Metadata metadata, int requested, List<PartitionInfo> partitions) {
            return 0;
        }

        @Override
        public Metadata config() {
            return Metadata.of("{\"type\":\"" + FirstPartitionSelector.class.getName() + "\"}");
        }
    }

    /** Registered through the test class path's META-INF/services as {@code test-energy}. */
    public static final class EnergyProvider implements ValidatorProvider {
        /** Called by ServiceLoader. */
        public EnergyProvider() {
        }

        @Override
        public String name() {
            return "test-energy";
        }

        @Override
        public Validator create(Metadata config) {
            return new EnergyValidator(config);
        }
    }

    /** Not registered on the class path: found only through a plugin jar's services file, as {@code plugin-energy}. */
    public static final class PluginEnergyProvider implements ValidatorProvider {
        /** Called by ServiceLoader. */
        public PluginEnergyProvider() {
        }

        @Override
        public String name() {
            return "plugin-energy";
        }

        @Override
        public Validator create(Metadata config) {
            return new EnergyValidator(config);
        }
    }
}
