package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The topics the C++ library (0.5.2) wrote, in {@code src/test/resources/cpp-files} (see its README.md), and their
 * read-back contents ({@code expected.jsonl}). The 3 MiB data file of {@code big} is not stored: {@link #copy}
 * writes it from its documented pattern, and the tests check its SHA-256 against {@code expected.jsonl}.
 */
final class V0Fixtures {
    /** One line of expected.jsonl. */
    record Expected(String topic, int partition, long id, String metadata, long dataLen, String sha256) {
    }

    private V0Fixtures() {
    }

    static Path resources() {
        try {
            return Path.of(V0Fixtures.class.getResource("/cpp-files/expected.jsonl").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the fixture topics into {@code root} and writes {@code big}'s data file. */
    static void copy(Path root) throws IOException {
        PowerCut.copyTree(resources(), root);
        Files.delete(root.resolve("README.md"));
        Files.delete(root.resolve("expected.jsonl"));
        int size = 1_048_593;
        byte[] all = new byte[3 * size];
        for (int k = 0; k < 3; k++) {
            System.arraycopy(pattern(k, size), 0, all, k * size, size);
        }
        Files.write(root.resolve("big/partitions/00000000/data"), all);
    }

    /** Data of event k of the fixtures: byte j is (k + j) % 256. */
    static byte[] pattern(int k, int size) {
        byte[] b = new byte[size];
        for (int j = 0; j < size; j++) {
            b[j] = (byte) (k + j);
        }
        return b;
    }

    /** Metadata of event k of {@code one} and {@code three}, with the keys in the order they were pushed. */
    static Metadata pushedMetadata(int k) {
        return Metadata.of("{\"k\":" + k + ",\"name\":\"ev-" + k + "\",\"energy\":" + (k * 7) % 100 + "}");
    }

    static List<Expected> expected() throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<Expected> out = new ArrayList<>();
        for (String line : Files.readAllLines(resources().resolve("expected.jsonl"))) {
            JsonNode n = m.readTree(line);
            out.add(new Expected(n.get("topic").asText(), n.get("partition").asInt(), n.get("id").asLong(),
                    n.get("metadata").asText(), n.get("data_len").asLong(), n.get("data_sha256").asText()));
        }
        return out;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Driver open(Path root) {
        return Driver.open("files-v0", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    /** Polls until {@code count} events came; fails if one does not come within 10 s. */
    static List<Event> take(Consumer c, int count) {
        List<Event> out = new ArrayList<>();
        while (out.size() < count) {
            Optional<Event> e = c.poll(Duration.ofSeconds(10));
            assertEquals(true, e.isPresent(), "event " + out.size() + " of " + count + " did not come within 10 s");
            out.add(e.get());
        }
        return out;
    }
}
