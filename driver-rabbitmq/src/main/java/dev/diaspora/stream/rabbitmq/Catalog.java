package dev.diaspora.stream.rabbitmq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names of the topics of one virtual host: the stream protocol cannot list streams, so the driver records creates
 * and deletes in a catalog stream and compacts it, since a stream cannot be rewritten in place.
 *
 * <p>The catalog lives in generations. Generation 0 is the anchor stream {@code __diaspora.catalog}, which is never
 * deleted and holds, in the server's offset tracking (reference {@code diaspora:catalog-generation}), the number of
 * the current generation; generation {@code g >= 1} is the stream {@code __diaspora.catalog.<g>}. A generation holds
 * {@code create}, {@code delete} and {@code snapshot} records; a name is listed when a create or a snapshot names it
 * and no later delete does, and only if its topic exists (the backend checks each listed name). So the catalog only
 * needs to hold a <em>superset</em> of the live names: a stale name costs a check, never a wrong answer, and every
 * step below is idempotent.
 *
 * <ul>
 *   <li>A writer publishes its record into the current generation, then reads the pointer again: if a compaction moved
 *       it meanwhile, it publishes the record again into the new generation (until the pointer stays put).</li>
 *   <li>Compaction (after a delete, when a generation holds more than {@link #COMPACT_ABOVE} records and more than
 *       twice the names it lists): read generation {@code c}; create {@code c+1} and publish a snapshot of the names
 *       whose topics exist; store the pointer {@code c+1}; copy the records writers added to {@code c} after the read;
 *       publish a {@code sealed} record; delete {@code c} (and {@code c-1}, a leftover of an interrupted compaction;
 *       never the anchor). A writer that published into {@code c} before the pointer moved reads the pointer after
 *       publishing, and the copy reads {@code c} after the pointer moved: either way its record reaches {@code c+1}.</li>
 *   <li>A reader reads the current generation and, unless it is sealed (an interrupted compaction), the previous one
 *       too.</li>
 * </ul>
 *
 * Compaction is best effort: a failure leaves a larger but correct catalog, and the next compaction finishes the
 * job.
 *
 * <p>Thread safety: thread-safe (the server orders the records; every step is idempotent).
 */
final class Catalog {
    static final String ANCHOR = "__diaspora.catalog";
    private static final String POINTER = "diaspora:catalog-generation";
    /** A generation is compacted above this many records (and above twice the names it lists). */
    static final int COMPACT_ABOVE = 64;
    /** Names per snapshot record: far below the server's frame limit. */
    private static final int SNAPSHOT_NAMES = 500;

    private final RabbitBackend backend;
    private final StreamAdmin admin;
    /** The names the last listing of this process found: the cheap test of {@link #compactIfLarge} uses it. */
    private volatile int lastNames;

    Catalog(RabbitBackend backend, StreamAdmin admin) {
        this.backend = backend;
        this.admin = admin;
    }

    /** @return the stream of generation {@code gen} */
    static String stream(long gen) {
        return gen == 0 ? ANCHOR : ANCHOR + "." + gen;
    }

    /** @return the current generation */
    long current() {
        return Math.max(0, admin.queryOffset(POINTER, ANCHOR));
    }

    /**
     * The pointer names generation {@code c}, whose stream does not exist: if a compaction has not moved the pointer
     * meanwhile, it was moved back by two racing compactions (the protocol has no compare-and-set); point it at the
     * next generation that exists.
     *
     * @return true if the pointer now names another generation
     */
    private boolean repair(long c) {
        if (current() != c) {
            return true;
        }
        for (long k = c + 1; k <= c + 8; k++) {
            if (admin.exists(stream(k))) {
                admin.storeOffset(POINTER, ANCHOR, k);
                return true;
            }
        }
        return false;
    }

    /** Records that topic {@code name} was created. */
    void created(String name) {
        append(record("create", name));
    }

    /** Records that topic {@code name} was deleted, and compacts the catalog if it has grown. */
    void deleted(String name) {
        append(record("delete", name));
        compactIfLarge();
    }

    private static byte[] record(String op, String name) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put(op, name);
        return Layout.text(Layout.KIND_CATALOG, j.toString());
    }

    private void append(byte[] body) {
        for (int attempt = 0;; attempt++) {
            long gen = current();
            try {
                backend.publish(stream(gen), body);
            } catch (RuntimeException e) {
                if (attempt < 8 && !admin.exists(stream(gen))) {
                    repair(gen); // deleted by a compaction between reading the pointer and publishing
                    continue;
                }
                throw e;
            }
            if (current() == gen) {
                return;
            }
        }
    }

    /** The records of one generation, in order. */
    private record Generation(boolean exists, List<JsonNode> records, long lastOffset, boolean sealed) {
    }

    /** Reads generation {@code gen} from {@code from} (a stream offset). */
    private Generation read(long gen, long from) {
        String s = stream(gen);
        StreamAdmin.Tail tail = admin.tail(s);
        if (tail == null) {
            return new Generation(false, List.of(), -1, false);
        }
        List<JsonNode> records = new ArrayList<>();
        boolean[] sealed = {false};
        if (tail.lastOffset() >= from) {
            admin.read(s, OffsetSpecification.offset(from), (offset, ts, m) -> {
                byte[] body = RabbitTopic.body(m);
                if (offset >= from && Layout.kind(body) == Layout.KIND_CATALOG) {
                    JsonNode j = Metadata.of(Layout.text(body)).json();
                    if (j.has("sealed")) {
                        sealed[0] = true;
                    } else {
                        records.add(j);
                    }
                }
                return offset >= tail.lastOffset();
            });
        }
        return new Generation(true, records, tail.lastOffset(), sealed[0]);
    }

    private static void apply(List<JsonNode> records, Set<String> names) {
        for (JsonNode j : records) {
            if (j.has("create")) {
                names.add(j.get("create").asText());
            } else if (j.has("delete")) {
                names.remove(j.get("delete").asText());
            } else if (j.get("snapshot") instanceof ArrayNode a) {
                a.forEach(n -> names.add(n.asText()));
            }
        }
    }

    /** What a reader finds: the names, and how many records were read for them. */
    record Listing(long generation, Set<String> names, int records) {
    }

    /** @return the names the catalog lists (a superset of the live topics' names) */
    Listing list() {
        for (int attempt = 0;; attempt++) {
            long c = current();
            try {
                Generation cur = read(c, 0);
                if (!cur.exists() && repair(c)) {
                    continue;
                }
                if (!cur.exists()) {
                    throw new DiasporaException("the topic catalog of RabbitMQ at " + backend.config.address()
                            + " names generation " + c + ", but its stream '" + stream(c) + "' does not exist"
                            + " (deleted by hand?); topics can still be opened by name, but not listed", null, true);
                }
                Set<String> names = new LinkedHashSet<>();
                int records = cur.records().size();
                if (c >= 1 && !cur.sealed()) { // an unfinished compaction: the previous generation may hold more
                    Generation prev = read(c - 1, 0);
                    apply(prev.records(), names);
                    records += prev.records().size();
                }
                apply(cur.records(), names);
                lastNames = names.size();
                return new Listing(c, names, records);
            } catch (RuntimeException e) {
                if (attempt < 8 && current() != c) {
                    continue; // compacted (and deleted) while read: read the new generation
                }
                throw e;
            }
        }
    }

    /** Compacts the current generation if it holds many more records than names; best effort. */
    void compactIfLarge() {
        try {
            StreamAdmin.Tail tail = admin.tail(stream(current()));
            // offsets count records (and, in the anchor, offset tracking): only a large generation is read whole
            if (tail == null || tail.lastOffset() < COMPACT_ABOVE || tail.lastOffset() < 2L * lastNames) {
                return;
            }
            Listing l = list();
            if (l.records() > COMPACT_ABOVE && l.records() > 2 * l.names().size()) {
                compact(l.generation());
            }
        } catch (RuntimeException e) {
            // best effort: the catalog stays larger, and correct; the next delete tries again
        }
    }

    /** Moves the catalog from generation {@code c} to {@code c + 1}, keeping the names of topics that exist. */
    void compact(long c) {
        Generation cur = read(c, 0);
        if (!cur.exists()) {
            return; // another compaction finished it
        }
        Set<String> names = new LinkedHashSet<>();
        if (c >= 1 && !cur.sealed()) {
            apply(read(c - 1, 0).records(), names);
        }
        apply(cur.records(), names);
        List<String> live = new ArrayList<>();
        for (String n : names) {
            if (admin.exists(RabbitBackend.configStream(n))) {
                live.add(n);
            }
        }
        String next = stream(c + 1);
        boolean mine = admin.create(next, Map.of());
        for (int i = 0; i == 0 || i < live.size(); i += SNAPSHOT_NAMES) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            live.subList(i, Math.min(live.size(), i + SNAPSHOT_NAMES)).forEach(a::add);
            ObjectNode j = JsonNodeFactory.instance.objectNode();
            j.set("snapshot", a);
            backend.publish(next, Layout.text(Layout.KIND_CATALOG, j.toString()));
        }
        if (current() != c) { // another compaction moved on meanwhile: leave the catalog to it
            if (mine && current() > c + 1) {
                admin.delete(next);
            }
            return;
        }
        admin.storeOffset(POINTER, ANCHOR, c + 1);
        // what writers published into c after the read above: each also republishes after seeing the new pointer,
        // but one that read the pointer before it moved relies on this copy
        for (JsonNode j : read(c, cur.lastOffset() + 1).records()) {
            backend.publish(next, Layout.text(Layout.KIND_CATALOG, j.toString()));
        }
        backend.publish(next, Layout.text(Layout.KIND_CATALOG, "{\"sealed\":true}"));
        if (c >= 2) {
            admin.delete(stream(c - 1)); // left by an interrupted compaction
        }
        if (c >= 1) {
            admin.delete(stream(c));
        }
    }
}
