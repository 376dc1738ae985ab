package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.ConsumerGroup;
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
import java.util.Optional;
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
 * {@code diaspora-ctl consumer list|describe|reset}: the stored positions of consumer names, their lag, the live
 * members of their groups, and resets.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "consumer", mixinStandardHelpOptions = true,
        description = "Consumer names of a topic: positions, lag, group members, reset.",
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

    @Command(name = "list", mixinStandardHelpOptions = true, description = {"Print the consumer names with stored "
        + "positions on the topic, sorted, one per line after a header, with the number of live members of each "
            + "name's group ('?' where the driver does not report group membership)."})
    static final class ListNames extends Base {
        ListNames(CtlContext ctx) {
            super(ctx);
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx); TopicHandle t = d.openTopic(topicName)) {
                ctx.out().printf("%-30s %7s%n", "NAME", "MEMBERS"); // MEMBERS: the live ones
                boolean unreported = false;
                for (String n : new TreeSet<>(t.consumerNames())) {
                    Optional<ConsumerGroup> g = t.describeGroup(n);
                    unreported |= g.isEmpty();
                    ctx.out().printf("%-30s %7s%n", n, g.map(x -> Integer.toString(x.members().size())).orElse("?"));
                }
                if (unreported) {
                    warnUnreported(d);
                }
            }
            return 0;
        }
    }

    private static void warnUnreported(Driver d) {
        LOG.warn("The '{}' driver does not report consumer group membership: members are shown as '?'",
                d.name());
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = {"Show, per consumer name and "
        + "partition, the stored position (next EventID to read), the last EventID of the partition, the lag "
        + "(events after the position, not counting ids of lost ranges) and the live group member that holds it.",
        "A name without a stored position on a partition shows '-' (it starts at its --from position). MEMBER is "
            + "'-' when no member holds the partition, '?' when the driver does not report group membership. LOST "
            + "lists the ranges of ids after the position that hold no event (a crash lost them) and says when the "
            + "position itself is in one. When some name has live members, a second table follows: each member, the "
            + "partitions it holds and their total lag. Every name unless --name is given; --json prints one JSON "
            + "document per name."})
    static final class Describe extends Base {
        @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Only this consumer name.")
        String name;

        @Option(names = "--json", description = "One JSON document per name: {name, partitions: [{partition, "
                + "position, first, last, lag, member, position_lost, lost: [{first, last, why}]}], members: [{id, "
                + "partitions, lag}]} (position and lag null when none is stored; member null when no member holds "
                + "the partition; members null when the driver does not report group membership).")
        boolean json;

        Describe(CtlContext ctx) {
            super(ctx);
        }

        @Override
        int execute() {
            try (Driver d = driver.open(ctx); TopicHandle t = d.openTopic(topicName)) {
                List<String> names = name != null ? List.of(name) : new ArrayList<>(new TreeSet<>(t.consumerNames()));
                if (print(ctx.out(), t, names, json)) {
                    warnUnreported(d);
                }
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
                if (print(ctx.out(), t, List.of(name), false)) {
                    warnUnreported(d);
                }
            }
            return 0;
        }
    }

    /**
     * Prints a table (or JSON lines) of positions, last ids, lag and holding members, then (text) a table of the live
     * members of every name that has some. The lag counts events, not ids: ids of lost ranges
     * ({@link TopicHandle#lostRanges}) after the position are left out, and a position inside one is shown.
     *
     * @return whether the driver did not report group membership for some name
     */
    static boolean print(PrintStream out, TopicHandle t, List<String> names, boolean json) {
        List<PartitionBounds> bounds = new ArrayList<>();
        List<List<LostRange>> lost = new ArrayList<>();
        for (PartitionInfo p : t.partitions()) {
            bounds.add(t.bounds(p.index()));
            lost.add(t.lostRanges(p.index()));
        }
        if (!json) {
            out.printf("%-30s %9s %12s %12s %12s %-17s  %s%n", "NAME", "PARTITION", "POSITION", "LAST_ID", "LAG",
                    "MEMBER", "LOST");
        }
        boolean unreported = false;
        List<String> memberRows = new ArrayList<>();
        for (String n : names) {
            Map<Integer, Long> positions;
            try {
                positions = t.positions(n);
            } catch (CorruptDataException e) { // one damaged position file must not hide the other names
                if (json) {
                    out.println(Output.compact(JsonNodeFactory.instance.objectNode().put("name", n)
                            .put("error", e.getMessage())));
                } else {
                    out.printf("%-30s %9s %12s %12s %12s %-17s  %s%n", n, "-", "?", "-", "?", "?",
                            "DAMAGED: " + e.getMessage());
                }
                continue;
            }
            Optional<ConsumerGroup> group = t.describeGroup(n);
            unreported |= group.isEmpty();
            ObjectNode doc = JsonNodeFactory.instance.objectNode();
            doc.put("name", n);
            ArrayNode parts = doc.putArray("partitions");
            Long[] lags = new Long[bounds.size()];
            for (int p = 0; p < bounds.size(); p++) {
                PartitionBounds b = bounds.get(p);
                Long pos = positions.get(p);
                Long lag = pos == null ? null : lag(b, pos, lost.get(p));
                lags[p] = lag;
                LostRange in = pos == null ? null : rangeOf(pos, lost.get(p));
                long last = b.count() == 0 ? -1 : b.next() - 1;
                String member = group.isEmpty() ? null
                        : group.get().holderOf(p).map(ConsumerGroup.Member::id).orElse(null);
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
                    o.put("member", member);
                    o.put("position_lost", in != null);
                    ArrayNode ranges = o.putArray("lost");
                    for (LostRange r : lost.get(p)) {
                        ranges.addObject().put("first", r.first()).put("last", r.last()).put("why", r.why());
                    }
                } else {
                    out.printf("%-30s %9d %12s %12s %12s %-17s  %s%n", n, p, pos == null ? "-" : pos.toString(),
                            last < 0 ? "-" : Long.toString(last), lag == null ? "-" : lag.toString(),
                            group.isEmpty() ? "?" : member == null ? "-" : member, lostNote(pos, in, lost.get(p)));
                }
            }
            if (group.isEmpty()) {
                doc.putNull("members");
            } else {
                ArrayNode members = doc.putArray("members");
                for (ConsumerGroup.Member m : group.get().members()) {
                    Long lag = memberLag(m, lags);
                    ObjectNode o = members.addObject().put("id", m.id());
                    if (m.partitionsKnown()) {
                        ArrayNode held = o.putArray("partitions");
                        m.partitions().forEach(held::add);
                    } else {
                        o.putNull("partitions");
                    }
                    o.put("lag", lag);
                    memberRows.add(String.format("%-30s %-17s %12s  %s", n, m.id(), lag == null ? "-" : lag,
                            !m.partitionsKnown() ? "? (not recorded by this member's driver version)"
                                    : m.partitions().isEmpty() ? "-" : joined(m.partitions())));
                }
            }
            if (json) {
                out.println(Output.compact(doc));
            }
        }
        if (!json && !memberRows.isEmpty()) {
            out.println();
            out.printf("%-30s %-17s %12s  %s%n", "NAME", "MEMBER", "LAG", "PARTITIONS");
            memberRows.forEach(out::println);
        }
        return unreported;
    }

    /** @return the lag summed over the member's partitions that have a stored position, or null if none has */
    private static Long memberLag(ConsumerGroup.Member m, Long[] lags) {
        if (!m.partitionsKnown()) {
            return null;
        }
        Long sum = null;
        for (int p : m.partitions()) {
            if (p < lags.length && lags[p] != null) {
                sum = (sum == null ? 0 : sum) + lags[p];
            }
        }
        return sum;
    }

    private static String joined(List<Integer> partitions) {
        StringBuilder b = new StringBuilder();
        for (int p : partitions) {
            b.append(b.length() == 0 ? "" : ",").append(p);
        }
        return b.toString();
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
