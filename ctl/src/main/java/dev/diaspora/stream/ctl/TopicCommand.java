package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.Validator;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diaspora-ctl topic create|list|describe|alter|add-partitions|delete}.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "topic", mixinStandardHelpOptions = true,
        description = "Create, list, describe, alter, grow and delete topics.",
        subcommands = {TopicCommand.Create.class, TopicCommand.ListTopics.class, TopicCommand.Describe.class,
            TopicCommand.Alter.class, TopicCommand.AddPartitions.class, TopicCommand.Delete.class})
final class TopicCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TopicCommand.class);
    /** The retention options {@code describe} shows on their own (absent: no limit). */
    private static final String[] RETENTION_KEYS = {"retention.ms", "retention.bytes", "segment.ms"};

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing action: expected one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** The topic name option shared by create, describe and delete. */
    static final class TopicName {
        @Option(names = {"-n", "--name", "--topic"}, required = true, paramLabel = "TOPIC",
                description = "Topic name: 1 to 200 letters, digits, '.', '_' or '-'.")
        String name;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = {"Create a topic.", "",
        "Topic options come from --topic-config FILE.json with --topic.<key> <value> merged over it (for example "
            + "--topic.num_partitions 4). A component (validator, serializer, partition selector) is configured when "
            + "any of --X TYPE, --X-config FILE or --X.<key> <value> is given: the file's object, the dotted options "
            + "merged over it, and \"type\": TYPE; otherwise the default component is used."})
    static final class Create extends CtlCommand {
        @Mixin
        DriverOptions driver;

        @Mixin
        TopicName topic;

        @Option(names = "--topic-config", paramLabel = "FILE", description = "JSON file with the topic options.")
        Path topicConfig;

        @Option(names = "--validator", paramLabel = "TYPE",
                description = "Validator type: default, schema, a provider name, a class name or name:plugin.jar.")
        String validator;

        @Option(names = "--validator-config", paramLabel = "FILE", description = "JSON file with the validator.")
        Path validatorConfig;

        @Option(names = "--serializer", paramLabel = "TYPE", description = "Serializer type (default: JSON text).")
        String serializer;

        @Option(names = "--serializer-config", paramLabel = "FILE", description = "JSON file with the serializer.")
        Path serializerConfig;

        @Option(names = "--partition-selector", paramLabel = "TYPE",
                description = "Partition selector type: default (round robin) or hash (with "
                        + "--partition-selector.field F), or any provider.")
        String selector;

        @Option(names = "--partition-selector-config", paramLabel = "FILE",
                description = "JSON file with the partition selector.")
        Path selectorConfig;

        @Option(names = "--if-absent", description = "Succeed when the topic exists with the same options and"
                + " components (fail naming the keys that differ); safe when many processes run it at once.")
        boolean ifAbsent;

        Create(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.copyOf(DottedOptions.PREFIXES);
        }

        @Override
        int execute() {
            ObjectNode options = JsonConfig.merged(topicConfig, "--topic-config", ctx.dotted(), "topic");
            Validator v = component("validator", validator, validatorConfig, Validator::fromConfig,
                    Validator::defaultValidator);
            PartitionSelector s = component("partition-selector", selector, selectorConfig,
                    PartitionSelector::fromConfig, PartitionSelector::defaultSelector);
            Serializer ser = component("serializer", serializer, serializerConfig, Serializer::fromConfig,
                    Serializer::defaultSerializer);
            try (Driver d = driver.open(ctx)) {
                LOG.debug("Creating topic '{}' with options {}", topic.name, options);
                if (ifAbsent) {
                    if (!d.createTopicIfAbsent(topic.name, Metadata.of(options), v, s, ser)) {
                        LOG.info("Topic '{}' exists with the same configuration", topic.name);
                        return 0;
                    }
                } else {
                    d.createTopic(topic.name, Metadata.of(options), v, s, ser);
                }
            }
            LOG.info("Topic '{}' created", topic.name);
            return 0;
        }

        private <T> T component(String kind, String type, Path file, Function<Metadata, T> fromConfig,
                Supplier<T> defaults) {
            if (type == null && file == null && !ctx.dotted().has(kind)) {
                return defaults.get();
            }
            ObjectNode config = JsonConfig.merged(file, "--" + kind + "-config", ctx.dotted(), kind);
            if (type != null) {
                config.put("type", type);
            }
            return fromConfig.apply(Metadata.of(config));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = {"List topics, one name per line, sorted.",
        "With --verbose, each line is the name, a space, and the topic's description as one JSON document "
            + "(options and components)."})
    static final class ListTopics extends CtlCommand {
        @Mixin
        DriverOptions driver;

        ListTopics(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver");
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx)) {
                for (Map.Entry<String, Metadata> e : new TreeMap<>(d.listTopics()).entrySet()) {
                    ctx.out().println(common.verbose ? e.getKey() + " " + Output.compact(e.getValue()) : e.getKey());
                }
            }
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = {"Describe a topic as one JSON "
        + "document: its options and components, its retention options, each partition's bounds (first and next "
        + "EventID, number of events) and stored bytes (where the driver reports them), and the stored positions of "
        + "its consumer names."})
    static final class Describe extends CtlCommand {
        @Mixin
        DriverOptions driver;

        @Mixin
        TopicName topic;

        Describe(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver");
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx); TopicHandle t = d.openTopic(topic.name)) {
                JsonNodeFactory f = JsonNodeFactory.instance;
                ObjectNode out = f.objectNode();
                out.put("name", t.name());
                Metadata config = d.listTopics().get(t.name());
                if (config == null) {
                    throw new TopicNotFoundException("Topic '" + topic.name + "' does not exist");
                }
                out.set("config", config.json());
                ObjectNode retention = out.putObject("retention"); // empty: events are kept forever
                for (String key : RETENTION_KEYS) {
                    if (config.json().hasNonNull(key)) {
                        retention.set(key, config.json().get(key));
                    }
                }
                ArrayNode parts = out.putArray("partitions");
                for (PartitionInfo p : t.partitions()) {
                    PartitionBounds b = t.bounds(p.index());
                    ObjectNode po = parts.addObject();
                    po.put("index", p.index());
                    JsonNode md = p.metadata().json();
                    if (md.size() > 0) {
                        po.set("metadata", md);
                    }
                    po.put("first", b.first());
                    po.put("next", b.next());
                    po.put("events", b.count());
                    t.storedBytes(p.index()).ifPresent(bytes -> po.put("bytes", bytes)); // where the driver knows
                }
                ObjectNode consumers = out.putObject("consumers");
                for (String name : new TreeSet<>(t.consumerNames())) {
                    ObjectNode pos = consumers.putObject(name);
                    new TreeMap<>(t.positions(name)).forEach((p, id) -> pos.put(String.valueOf(p), id));
                }
                ctx.out().println(Output.pretty(out));
            }
            return 0;
        }
    }

    @Command(name = "alter", mixinStandardHelpOptions = true, description = {"Change options of an existing topic.",
        "",
        "Options come from --topic-config FILE.json with --topic.<key> <value> merged over it (for example "
            + "--topic.retention.ms 86400000). Only the options the driver can change after creation are accepted "
            + "(the error lists them); open producers and consumers follow the new values."})
    static final class Alter extends CtlCommand {
        @Mixin
        DriverOptions driver;

        @Mixin
        TopicName topic;

        @Option(names = "--topic-config", paramLabel = "FILE", description = "JSON file with the options to change.")
        Path topicConfig;

        Alter(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver", "topic");
        }

        @Override
        int execute() {
            ObjectNode options = JsonConfig.merged(topicConfig, "--topic-config", ctx.dotted(), "topic");
            try (Driver d = driver.open(ctx)) {
                d.alterTopic(topic.name, Metadata.of(options));
            }
            LOG.info("Topic '{}' altered: {}", topic.name, options);
            return 0;
        }
    }

    @Command(name = "add-partitions", mixinStandardHelpOptions = true, description = {"Grow a topic to more "
        + "partitions.", "", "New partitions start empty; open producers spread events over them and open consumers "
        + "of all partitions read them from their first event. Partitions are never removed."})
    static final class AddPartitions extends CtlCommand {
        @Mixin
        DriverOptions driver;

        @Mixin
        TopicName topic;

        @Option(names = {"-p", "--partitions"}, required = true, paramLabel = "COUNT",
                description = "The new number of partitions, larger than the current one.")
        int count;

        AddPartitions(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver");
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx)) {
                d.addPartitions(topic.name, count);
            }
            LOG.info("Topic '{}' now has {} partitions", topic.name, count);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a topic and every event and consumer position it holds.")
    static final class Delete extends CtlCommand {
        @Mixin
        DriverOptions driver;

        @Mixin
        TopicName topic;

        Delete(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver");
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx)) {
                d.deleteTopic(topic.name);
            }
            LOG.info("Topic '{}' deleted", topic.name);
            return 0;
        }
    }
}
