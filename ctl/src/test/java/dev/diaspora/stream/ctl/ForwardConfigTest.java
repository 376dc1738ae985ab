package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.diaspora.stream.StartAt;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ForwardConfigTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static ForwardConfig parse(String yaml) throws Exception {
        return ForwardConfig.parse(YAML.readTree(yaml), "f.yaml");
    }

    @Test
    void shouldReadDriversPoliciesAndTransforms() throws Exception {
        ForwardConfig c = parse("""
                drivers:
                  local: {type: files, options: {root_path: /data, n: 3, ok: true}}
                  mem: {type: memory}
                forward:
                  - from: local/a/b
                    to: mem/c
                  - from: mem/c
                    to: local/d
                    name: custom
                    start_at: latest
                    on_error: skip
                    transform: {command: "tr a b", mode: service, data: false, timeout: 2.5, env: {X: 1}}
                  - from: local/x
                    to: local/y
                    transform: {command: [cat, "-"]}
                """);
        assertEquals(2, c.drivers.size());
        assertEquals(3, c.drivers.get("local").options().get("n").asInt());
        assertTrue(c.drivers.get("local").options().get("ok").isBoolean());
        ForwardConfig.Policy p0 = c.policies.get(0);
        assertEquals("a/b", p0.from().topic(), "split at the first '/'");
        assertEquals("local:a/b->mem:c", p0.name());
        assertEquals(StartAt.EARLIEST, p0.startAt());
        assertNull(p0.transform());
        assertFalse(p0.skipErrors());
        ForwardConfig.Policy p1 = c.policies.get(1);
        assertEquals("custom", p1.name());
        assertEquals(StartAt.LATEST, p1.startAt());
        assertTrue(p1.skipErrors());
        assertEquals(List.of("sh", "-c", "tr a b"), p1.transform().command());
        assertEquals(ForwardConfig.Mode.service, p1.transform().mode());
        assertFalse(p1.transform().data());
        assertEquals(Duration.ofMillis(2500), p1.transform().timeout());
        assertEquals("1", p1.transform().env().get("X"));
        assertEquals(List.of("cat", "-"), c.policies.get(2).transform().command());
        assertEquals(ForwardConfig.Mode.event, c.policies.get(2).transform().mode());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "forward: [{from: a/x, to: a/y}]|'drivers'",
        "drivers: {a: {type: files}}|'forward'",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: b/y}]|unknown driver alias 'b'",
        "drivers: {a: {type: files}};forward: [{from: ax, to: a/y}]|expected <driver-alias>/<topic>",
        "drivers: {a: {type: files}};forward: [{from: a/, to: a/y}]|expected <driver-alias>/<topic>",
        "drivers: {a: {type: files}};forward: [{from: a/x}]|missing 'to'",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, speed: 1}]|unknown key 'speed'",
        "drivers: {a: {typo: files}};forward: [{from: a/x, to: a/y}]|unknown key 'typo'",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, data_selector: 'l.so:s'}]|not supported",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, start_at: never}]|invalid start position",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, on_error: retry}]|expected stop or skip",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, transform: {mode: service}}]|command",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, transform: {command: c, mode: x}}]|mode",
        "drivers: {a: {type: files}};forward: [{from: a/x, to: a/y, transform: {command: c, timeout: 0}}]|timeout"})
    void shouldRejectBadConfigurationsNamingTheProblem(String yaml, String expected) {
        CtlException e = assertThrows(CtlException.class, () -> parse(yaml.replace(";", "\n")));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("f.yaml"), e.getMessage());
    }
}
