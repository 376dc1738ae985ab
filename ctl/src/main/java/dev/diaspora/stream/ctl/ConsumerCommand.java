package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diaspora-ctl consumer list|describe|reset}: the stored positions of consumer names, their lag, and resets.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "consumer", mixinStandardHelpOptions = true,
        description = "Consumer names of a topic: positions, lag, reset.",
        subcommands = {ConsumerCommand.ListNames.class, ConsumerCommand.Describe.class, ConsumerCommand.Reset.class})
final class ConsumerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerCommand.class);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing action: expected one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** The options every consumer action takes. */
    abstract static class Base extends CtlCommand {
        @Mixin
        DriverOptions driver;

        @Option(names = {"-t", "--topic"}, required = true, paramLabel = "TOPIC", description = "The topic.")
        String topicName;

        Base(CtlContext ctx) {
            super(ctx);
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Print the consumer names with stored positions on the topic, one per line, sorted.")
    static final class ListNames extends Base {
        ListNames(CtlContext ctx) {
            super(ctx);
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx); TopicHandle t = d.openTopic(topicName)) {
                for (String n : new TreeSet<>(t.consumerNames())) {
                    ctx.out().println(n);
                }
            }
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = {"Show, per consumer name and "
        + "partition, the stored position (next EventID to read), the last EventID of the partition and the lag "
        + "(events after the position, not counting ids of lost ranges).", "A name without a stored position on a "
            + "partition shows '-' (it starts at its --from position). LOST lists the ranges of ids after the position "
            + "that hold no event (a crash lost them) and says when the position itself is in one. Every name unless "
            + "--name is given; --json prints one JSON document per name."})
    static final class Describe extends Base {
        @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Only this consumer name.")
        String name;

        @Option(names = "--json", description = "One JSON document per name: {name, partitions: [{partition, "
                + "position, first, last, lag, position_lost, lost: [{first, last, why}]}]} (position and lag null "
                + "when none is stored).")
        boolean json;

        Describe(CtlContext ctx) {
            super(ctx);
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx); TopicHandle t = d.openTopic(topicName)) {
                List<String> names = name != null ? List.of(name) : new ArrayList<>(new TreeSet<>(t.consumerNames()));
                print(ctx.out(), t, names, json);
            }
            return 0;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = {"Move a consumer name's stored "
        + "positions on every partition to --to: earliest, latest, id:N or time:ISO-8601; then describe it.",
        "Run it while no consumer of that name is live: a live one keeps its in-memory positions and overwrites the "
            + "reset when it acknowledges."})
    static final class Reset extends Base {
        @Option(names = {"-n", "--name"}, required = true, paramLabel = "NAME", description = "The consumer name.")
        String name;

        @Option(names = "--to", required = true, paramLabel = "POSITION",
                converter = ConsumeCommand.StartAtConverter.class,
                description = "earliest, latest, id:N or time:ISO-8601.")
        StartAt to;

        Reset(CtlContext ctx) {
            super(ctx);
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx); TopicHandle t = d.openTopic(topicName)) {
                t.resetPositions(name, to);
                LOG.info("Positions of '{}' on topic '{}' reset to {}", name, topicName, to);
                print(ctx.out(), t, List.of(name), false);
            }
            return 0;
        }
    }

    /**
     * Prints a table (or JSON lines) of positions, last ids and lag. The lag counts events, not ids: ids of lost
     * ranges ({@link TopicHandle#lostRanges}) after the position are left out, and a position inside one is shown.
     */
    static void print(PrintStream out, TopicHandle t, List<String> names, boolean json) {
        List<PartitionBounds> bounds = new ArrayList<>();
        List<List<LostRange>> lost = new ArrayList<>();
        for (PartitionInfo p : t.partitions()) {
            bounds.add(t.bounds(p.index()));
            lost.add(t.lostRanges(p.index()));
        }
        if (!json) {
            out.printf("%-30s %9s %12s %12s %12s  %s%n", "NAME", "PARTITION", "POSITION", "LAST_ID", "LAG", "LOST");
        }
        for (String n : names) {
            Map<Integer, Long> positions;
            try {
                positions = t.positions(n);
            } catch (CorruptDataException e) { // one damaged position file must not hide the other names
                if (json) {
                    out.println(Output.compact(JsonNodeFactory.instance.objectNode().put("name", n)
                            .put("error", e.getMessage())));
                } else {
                    out.printf("%-30s %9s %12s %12s %12s  %s%n", n, "-", "?", "-", "?", "DAMAGED: " + e.getMessage());
                }
                continue;
            }
            ObjectNode doc = JsonNodeFactory.instance.objectNode();
            doc.put("name", n);
            ArrayNode parts = doc.putArray("partitions");
            for (int p = 0; p < bounds.size(); p++) {
                PartitionBounds b = bounds.get(p);
                Long pos = positions.get(p);
                Long lag = pos == null ? null : lag(b, pos, lost.get(p));
                LostRange in = pos == null ? null : rangeOf(pos, lost.get(p));
                long last = b.count() == 0 ? -1 : b.next() - 1;
                if (json) {
                    ObjectNode o = parts.addObject();
                    o.put("partition", p);
                    if (pos == null) {
                        o.putNull("position");
                        o.putNull("lag");
                    } else {
                        o.put("position", pos);
                        o.put("lag", lag);
                    }
                    o.put("first", b.first());
                    if (last < 0) {
                        o.putNull("last");
                    } else {
                        o.put("last", last);
                    }
                    o.put("position_lost", in != null);
                    ArrayNode ranges = o.putArray("lost");
                    for (LostRange r : lost.get(p)) {
                        ranges.addObject().put("first", r.first()).put("last", r.last()).put("why", r.why());
                    }
                } else {
                    out.printf("%-30s %9d %12s %12s %12s  %s%n", n, p, pos == null ? "-" : pos.toString(),
                            last < 0 ? "-" : Long.toString(last), lag == null ? "-" : lag.toString(),
                            lostNote(pos, in, lost.get(p)));
                }
            }
            if (json) {
                out.println(Output.compact(doc));
            }
        }
    }

    /** @return the events after {@code pos}: ids up to the end, less those of lost ranges */
    static long lag(PartitionBounds b, long pos, List<LostRange> lost) {
        long from = Math.min(b.next(), Math.max(pos, b.first()));
        long lag = b.next() - from;
        for (LostRange r : lost) {
            long lo = Math.max(r.first(), from);
            long hi = Math.min(r.last(), b.next() - 1);
            if (lo <= hi) {
                lag -= hi - lo + 1;
            }
        }
        return lag;
    }

    private static LostRange rangeOf(long pos, List<LostRange> lost) {
        for (LostRange r : lost) {
            if (r.contains(pos)) {
                return r;
            }
        }
        return null;
    }

    private static String lostNote(Long pos, LostRange in, List<LostRange> lost) {
        if (in != null) {
            return "position in lost range " + in.first() + "-" + in.last() + ": the consumer is told, then goes on"
                    + " at " + (in.last() + 1);
        }
        StringBuilder b = new StringBuilder();
        for (LostRange r : lost) {
            if (pos == null || r.last() >= pos) {
                b.append(b.length() == 0 ? "" : ", ").append(r.first()).append('-').append(r.last());
            }
        }
        return b.length() == 0 ? "-" : b.toString();
    }
}
