package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DottedOptionsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "42|42", "-7|-7", "+5|5", "007|7", "1.5|1.5", "1.|1.0", ".5|0.5", "-0.25|-0.25",
        "99999999999999999999|99999999999999999999",
        "true|'\"true\"'", "false|'\"false\"'", "abc|'\"abc\"'", "1.2.3|'\"1.2.3\"'", ".|'\".\"'", "+|'\"+\"'",
        "1e3|'\"1e3\"'", "a,b|'[\"a\",\"b\"]'", "1,2.5,x|'[1,2.5,\"x\"]'", "'a,'|'[\"a\",\"\"]'",
        "'[\"/opt/p\"]'|'[\"/opt/p\"]'", "'{\"a\":1}'|'{\"a\":1}'", "'[not json'|'\"[not json\"'",
        "'[1,2'|'[\"[1\",2]'"})
    void shouldTypeValuesLikeTheCppTool(String text, String json) throws Exception {
        assertEquals(JsonConfig.MAPPER.readTree(json).toString(), DottedOptions.parseValue(text).toString());
    }

    @Test
    void shouldTypeTheEmptyStringAsAString() {
        assertEquals("", DottedOptions.parseValue("").textValue());
    }

    @Test
    void shouldBuildNestedObjectsPerPrefixAndLeaveOtherArguments() {
        DottedOptions d = DottedOptions.extract(new String[] {"topic", "create", "--driver.root_path", "/x",
            "--topic.config.a.b", "1", "--topic.config.a.c", "v", "--name", "t", "--driver.k=v=w",
            "--partition-selector.field", "host"});
        assertArrayEquals(new String[] {"topic", "create", "--name", "t"}, d.remaining());
        assertEquals("{\"root_path\":\"/x\",\"k\":\"v=w\"}", d.get("driver").toString());
        assertEquals("{\"config\":{\"a\":{\"b\":1,\"c\":\"v\"}}}", d.get("topic").toString());
        assertEquals("host", d.get("partition-selector").get("field").asText());
        assertTrue(d.has("driver"));
        assertFalse(d.has("validator"));
    }

    @Test
    void shouldKeepTopicOptionsNamedWithDotsWhole() {
        DottedOptions d = DottedOptions.extract(new String[] {"--topic.retention.ms", "60000",
            "--topic.retention.bytes", "4096", "--topic.segment.ms", "1000", "--topic.other.ms", "1"});
        assertEquals("{\"retention.ms\":60000,\"retention.bytes\":4096,\"segment.ms\":1000,\"other\":{\"ms\":1}}",
                d.get("topic").toString());
    }

    @Test
    void shouldReplaceANonObjectOnTheWay() {
        DottedOptions d = DottedOptions.extract(new String[] {"--topic.a", "1", "--topic.a.b", "2"});
        JsonNode t = d.get("topic");
        assertEquals(2, t.get("a").get("b").asInt());
    }

    @Test
    void shouldTakeTheNextArgumentAsTheValueEvenIfItLooksLikeAnOption() {
        DottedOptions d = DottedOptions.extract(new String[] {"--driver.x", "--verbose"});
        assertEquals("--verbose", d.get("driver").get("x").asText());
        assertEquals(0, d.remaining().length);
    }

    @Test
    void shouldLeaveArgumentsAfterDoubleDashAlone() {
        DottedOptions d = DottedOptions.extract(new String[] {"--", "--driver.x", "1"});
        assertArrayEquals(new String[] {"--", "--driver.x", "1"}, d.remaining());
        assertFalse(d.has("driver"));
    }

    @Test
    void shouldRejectAMissingValueOrAnEmptyKey() {
        CtlException e = assertThrows(CtlException.class, () -> DottedOptions.extract(new String[] {"--driver.x"}));
        assertTrue(e.getMessage().contains("needs a value"), e.getMessage());
        assertThrows(CtlException.class, () -> DottedOptions.extract(new String[] {"--driver.", "1"}));
        assertThrows(CtlException.class, () -> DottedOptions.extract(new String[] {"--driver.a..b", "1"}));
    }

    @Test
    void shouldMergePatchWithTheCommandLineWinning() throws Exception {
        JsonNode file = JsonConfig.MAPPER.readTree("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":4}");
        JsonNode cli = JsonConfig.MAPPER.readTree("{\"b\":{\"c\":20},\"e\":null,\"f\":5}");
        assertEquals(JsonConfig.MAPPER.readTree("{\"a\":1,\"b\":{\"c\":20,\"d\":3},\"f\":5}"),
                JsonConfig.mergePatch(file, cli));
    }
}
