package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kind of bad argument gives exactly one line on stderr, with no stack trace, and its exit status: 2 for a
 * command line the tool rejects before running (unknown command or option, missing or malformed argument, a dotted
 * option the command does not take), 1 for a failure while running. Each case is the expected status, then the
 * arguments separated by spaces; {@code @D} stands for this fixture's memory driver options (topic "t" exists),
 * {@code @T} for the temporary directory; an argument "<in:TEXT" is stdin.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BadArgumentsTest {
    private final InProcess ctl = new InProcess();

    @TempDir
    static Path tmp;

    @BeforeEach
    void createTopic() throws IOException {
        assertEquals(0, ctl.run("topic", "create", "--name", "t").code());
        Files.writeString(tmp.resolve("bad.json"), "{not json");
        Files.writeString(tmp.resolve("array.json"), "[1]");
        Files.writeString(tmp.resolve("bad.yaml"), "drivers: [");
        Files.writeString(tmp.resolve("regular"), "x");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "2",
        "2 nope",
        "2 topic",
        "2 consumer",
        "2 driver",
        "2 topic create --name x",
        "2 topic create @D",
        "2 topic create @D --name x --bogus",
        "1 topic create --driver nope --name x",
        "1 topic create @D --name x --driver.nope 1",
        "1 topic create @D --name ../x",
        "1 topic create @D --name t",
        "1 topic create @D --name x --topic.num_partitions 0",
        "1 topic create @D --name x --topic.num_partitions abc",
        "1 topic create @D --name x --topic.colour red",
        "1 topic create @D --name x --validator nope",
        "1 topic create @D --name x --partition-selector hash",
        "1 topic create @D --name x --topic-config @T/missing.json",
        "1 topic create @D --name x --topic-config @T/bad.json",
        "1 topic create @D --name x --topic-config @T/array.json",
        "2 topic create @D --name x --driver.x",
        "2 topic list @D --topic.num_partitions 2",
        "2 topic list @D --logging loud",
        "1 topic describe @D --name missing",
        "1 topic delete @D --name missing",
        "1 produce @D -t missing <in:x",
        "2 produce @D -t t --format xml",
        "1 produce @D -t t --format json <in:{bad",
        "1 produce @D -t t --partition 5 <in:x",
        "1 produce @D -t t --data-file @T/missing.bin <in:x",
        "2 consume @D -t t",
        "2 consume @D -t t -n c --from yesterday",
        "2 consume @D -t t -n c --from id:-1",
        "2 consume @D -t t -n c --data hex",
        "2 consume @D -t t -n c --count -1",
        "2 consume @D -t t -n c --count many",
        "1 consume @D -t t -n a/b",
        "2 consumer describe @D",
        "2 consumer reset @D -t t -n c",
        "2 consumer reset @D -t t -n c --to somewhere",
        "1 forward --config @T/missing.yaml",
        "1 forward --config @T/bad.yaml",
        "1 forward --config @T/regular",
        "2 forward --config @T/bad.yaml --driver.x 1",
        "1 fifo @D --control-file @T/regular",
        "1 export @D -t missing --file @T/x.dxp",
        "1 import @D --file @T/regular -t y",
        "1 import @D --file @T/missing.dxp",
        "2 bench",
        "2 bench nope",
        "2 bench producer",
        "2 bench producer -d memory",
        "2 bench producer -d memory -t t --bogus 1",
        "2 bench producer -d memory -t t -n many",
        "2 bench producer @D -t t --topic.x 1",
        "1 bench producer -d nope -t t",
        "2 bench consumer -d memory -t t -s 2",
        "2 bench consumer -d memory -t t -i",
        "1 bench consumer -d memory -t missing"})
    void shouldPrintOneLineAndExitWithItsStatus(String line) {
        int expected = Integer.parseInt(line.substring(0, 1));
        String spec = line.substring(1).trim();
        List<String> args = new ArrayList<>();
        String stdin = "";
        for (String a : spec.isEmpty() ? new String[0] : spec.split(" ")) {
            if (a.equals("@D")) {
                args.addAll(ctl.driver());
            } else if (a.startsWith("<in:")) {
                stdin = a.substring(4) + "\n";
            } else {
                args.add(a.replace("@T", tmp.toString()));
            }
        }
        InProcess.Result r = InProcess.raw(stdin.getBytes(), args.toArray(new String[0]));
        assertEquals(expected, r.code(), () -> spec + " -> " + r);
        assertEquals(1, r.errLines().size(), () -> spec + " -> stderr: " + r.err());
        assertTrue(r.err().startsWith("diaspora-ctl: "), r.err());
        assertFalse(r.err().contains("Exception"), () -> spec + " -> " + r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals("", r.out(), spec);
    }

    @Test
    void shouldPrintTheStackTraceOnlyWithVerbose() {
        InProcess.Result quiet = ctl.run("topic", "describe", "--name", "missing");
        assertEquals(1, quiet.errLines().size());
        InProcess.Result verbose = ctl.run("topic", "describe", "--name", "missing", "--verbose");
        assertEquals(1, verbose.code());
        assertTrue(verbose.errLines().size() > 2, verbose.err());
        assertTrue(verbose.err().contains("TopicNotFoundException"), verbose.err());
    }

    @Test
    void shouldExitWithZeroForHelpOnEveryCommand() {
        for (String cmd : List.of("", "topic", "topic create", "topic list", "topic describe", "topic delete",
                "driver", "driver list", "produce", "consume", "consumer", "consumer list", "consumer describe",
                "consumer reset", "fifo", "forward", "export", "import", "bench", "bench producer", "bench consumer")) {
            List<String> args = new ArrayList<>(cmd.isEmpty() ? List.of() : Arrays.asList(cmd.split(" ")));
            args.add("--help");
            InProcess.Result r = InProcess.raw(new byte[0], args.toArray(new String[0]));
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().startsWith("Usage: diaspora-ctl" + (cmd.isEmpty() ? "" : " " + cmd)), r.out());
        }
    }
}
