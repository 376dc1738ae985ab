package dev.diaspora.stream.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DriverInfo;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionSchemaTest {
    private static final OptionSchema SCHEMA = OptionSchema.of(
            OptionSpec.string("root_path").required().doc("Directory that holds the topics."),
            OptionSpec.integer("segment_size").defaultValue(1 << 20).min(4096).doc("Segment size in bytes."),
            OptionSpec.string("durability").defaultValue("os").oneOf("os", "fsync").doc("When a push completes."),
            OptionSpec.bool("verbose").defaultValue(false).doc("Log more."),
            OptionSpec.array("servers").doc("host:port list."));

    @Test
    void shouldFillDefaultsAndKeepGivenValues() {
        Options o = SCHEMA.validate(Metadata.of("{\"root_path\":\"/tmp/x\",\"verbose\":true}"), "driver 'files'");
        assertEquals("/tmp/x", o.string("root_path"));
        assertEquals(1 << 20, o.integer("segment_size", -1));
        assertEquals("os", o.string("durability"));
        assertTrue(o.bool("verbose", false));
        assertFalse(o.has("servers"));
        assertEquals(List.of(), o.strings("servers"));
    }

    @Test
    void shouldRejectUnknownKeyNamingTheClosestAndTheAccepted() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> SCHEMA.validate(Metadata.of("{\"root_pth\":\"/tmp\"}"), "driver 'files'"));
        assertTrue(e.getMessage().contains("'root_pth'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'root_path'"), e.getMessage());
        assertTrue(e.getMessage().contains("root_path, segment_size, durability, verbose, servers"), e.getMessage());
        assertTrue(e.getMessage().contains("driver 'files'"), e.getMessage());
    }

    @Test
    void shouldRejectMissingRequiredOption() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> SCHEMA.validate(Metadata.of("{}"), "driver 'files'"));
        assertTrue(e.getMessage().contains("Missing required option 'root_path'"), e.getMessage());
    }

    @Test
    void shouldRejectWrongTypesAndRanges() {
        String[][] cases = {
            {"{\"root_path\":1}", "expected a string"},
            {"{\"root_path\":\"x\",\"segment_size\":\"big\"}", "expected an integer"},
            {"{\"root_path\":\"x\",\"segment_size\":1.5}", "expected an integer"},
            {"{\"root_path\":\"x\",\"segment_size\":10}", "must be at least 4096"},
            {"{\"root_path\":\"x\",\"durability\":\"disk\"}", "expected one of os, fsync"},
            {"{\"root_path\":\"x\",\"verbose\":\"yes\"}", "expected true or false"},
            {"{\"root_path\":\"x\",\"servers\":\"a:1\"}", "expected a JSON array"},
        };
        for (String[] c : cases) {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> SCHEMA.validate(Metadata.of(c[0]), "driver 'files'"), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void shouldRejectNonObjectsAndInvalidJson() {
        assertThrows(InvalidOptionException.class, () -> SCHEMA.validate(Metadata.of("[1]"), "x"));
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> SCHEMA.validate(Metadata.of("{\"root_path\":"), "x"));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void shouldDocumentEveryOption() {
        List<DriverInfo.OptionInfo> infos = SCHEMA.infos();
        assertEquals(5, infos.size());
        assertEquals("root_path", infos.get(0).name());
        assertTrue(infos.get(0).required());
        assertEquals("1048576", infos.get(1).defaultValue());
        assertTrue(infos.get(1).doc().contains("Range: [4096, ]"), infos.get(1).doc());
        assertTrue(infos.get(2).doc().contains("One of: os, fsync"), infos.get(2).doc());
    }

    @Test
    void topicOptionsAlwaysHaveNumPartitions() {
        Options o = OptionSchema.topicOptions().validate(Metadata.EMPTY, "topic 't'");
        assertEquals(1, o.intValue("num_partitions", -1));
        assertThrows(InvalidOptionException.class,
                () -> OptionSchema.topicOptions().validate(Metadata.of("{\"num_partitions\":0}"), "topic 't'"));
        assertThrows(InvalidOptionException.class,
                () -> OptionSchema.topicOptions().validate(Metadata.of("{\"num_partitions\":\"two\"}"), "topic 't'"));
    }

    @Test
    void toStringHidesSecretsAtAnyDepthButToMetadataKeepsThem() {
        OptionSchema schema = OptionSchema.of(OptionSpec.string("user").doc("User."),
                OptionSpec.string("password").doc("Password."), OptionSpec.object("sasl").doc("SASL."));
        Options o = schema.validate(Metadata.of("{\"user\":\"ann\",\"password\":\"hunter2\","
                + "\"sasl\":{\"token_file\":\"/t\",\"list\":[{\"client_secret\":\"s3\"}]}}"), "driver 'x'");
        String text = o.toString();
        assertFalse(text.contains("hunter2") || text.contains("/t") || text.contains("s3"), text);
        assertTrue(text.contains("\"user\":\"ann\""), text);
        assertTrue(o.toMetadata().toString().contains("hunter2"));
        assertTrue(Options.isSecret("sasl.jaas.config") && Options.isSecret("API_TOKEN") && !Options.isSecret("user"));
    }
}
