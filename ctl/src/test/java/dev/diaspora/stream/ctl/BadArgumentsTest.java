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
 * Every kind of bad argument gives exit status 1 and exactly one line on stderr, with no stack trace. Each case is
 * the arguments separated by spaces; {@code @D} stands for this fixture's memory driver options (topic "t" exists),
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

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "nope",
        "topic",
        "consumer",
        "driver",
        "topic create --name x",
        "topic create @D",
        "topic create @D --name x --bogus",
        "topic create --driver nope --name x",
        "topic create @D --name x --driver.nope 1",
        "topic create @D --name ../x",
        "topic create @D --name t",
        "topic create @D --name x --topic.num_partitions 0",
        "topic create @D --name x --topic.num_partitions abc",
        "topic create @D --name x --topic.colour red",
        "topic create @D --name x --validator nope",
        "topic create @D --name x --partition-selector hash",
        "topic create @D --name x --topic-config @T/missing.json",
        "topic create @D --name x --topic-config @T/bad.json",
        "topic create @D --name x --topic-config @T/array.json",
        "topic create @D --name x --driver.x",
        "topic list @D --topic.num_partitions 2",
        "topic list @D --logging loud",
        "topic describe @D --name missing",
        "topic delete @D --name missing",
        "produce @D -t missing <in:x",
        "produce @D -t t --format xml",
        "produce @D -t t --format json <in:{bad",
        "produce @D -t t --partition 5 <in:x",
        "produce @D -t t --data-file @T/missing.bin <in:x",
        "consume @D -t t",
        "consume @D -t t -n c --from yesterday",
        "consume @D -t t -n c --from id:-1",
        "consume @D -t t -n c --data hex",
        "consume @D -t t -n c --count -1",
        "consume @D -t t -n c --count many",
        "consume @D -t t -n a/b",
        "consumer describe @D",
        "consumer reset @D -t t -n c",
        "consumer reset @D -t t -n c --to somewhere",
        "forward --config @T/missing.yaml",
        "forward --config @T/bad.yaml",
        "forward --config @T/regular",
        "forward --config @T/bad.yaml --driver.x 1",
        "fifo @D --control-file @T/regular",
        "export @D -t missing --file @T/x.dxp",
        "import @D --file @T/regular -t y",
        "import @D --file @T/missing.dxp",
        "bench",
        "bench nope",
        "bench producer",
        "bench producer -d memory",
        "bench producer -d memory -t t --bogus 1",
        "bench producer -d memory -t t -n many",
        "bench producer @D -t t",
        "bench producer -d nope -t t",
        "bench consumer -d memory -t t -s 2",
        "bench consumer -d memory -t t -i",
        "bench consumer -d memory -t missing"})
    void shouldPrintOneLineAndExitWithOne(String spec) {
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
        assertEquals(1, r.code(), () -> spec + " -> " + r);
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
