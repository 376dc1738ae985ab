package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool's manners, in-process on the memory driver: usage errors (status 2) with picocli's suggestions, shell
 * completion, shell advice instead of Java advice, one {@code --print-ids} line per stdin line, the driver from the
 * environment, and bench's aliases.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CliPolishTest {
    private final InProcess ctl = new InProcess();

    @TempDir
    Path tmp;

    private static InProcess.Result withEnv(Map<String, String> env, String stdin, String... args) {
        return InProcess.raw(env, stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    @Test
    void shouldSuggestTheOptionOrCommandMeantOnOneLineWithStatusTwo() {
        InProcess.Result option = ctl.run("topic", "create", "--name", "x", "--nme", "y");
        assertEquals(2, option.code(), option::toString);
        assertEquals(1, option.errLines().size(), option.err());
        assertTrue(option.err().contains("'--nme'") && option.err().contains("did you mean '--name'"), option.err());

        InProcess.Result picocliOwn = ctl.run("topic", "create", "--name", "x", "--nam=y");
        assertEquals(2, picocliOwn.code(), picocliOwn::toString);
        assertTrue(picocliOwn.err().contains("did you mean '--name'"), picocliOwn.err());

        InProcess.Result swapped = InProcess.raw(new byte[0], "topic", "craete");
        assertEquals(2, swapped.code(), swapped::toString);
        assertTrue(swapped.err().contains("(did you mean 'create'?)"), swapped.err());

        InProcess.Result command = InProcess.raw(new byte[0], "topci", "list");
        assertEquals(2, command.code(), command::toString);
        assertEquals(1, command.errLines().size(), command.err());
        assertTrue(command.err().contains("did you mean") && command.err().contains("topic"), command.err());
    }

    @Test
    void shouldMeasureEditsAsDroppedAddedChangedOrSwappedLetters() {
        assertEquals(1, UsageErrors.distance("--nme", "--name"));
        assertEquals(1, UsageErrors.distance("topci", "topic"));
        assertEquals(2, UsageErrors.distance("prodcue", "produce") + 1);
        assertEquals(3, UsageErrors.distance("abc", ""));
        assertEquals(List.of("consume", "consumer"), UsageErrors.close("consum", List.of("consumer", "consume", "x")));
        assertEquals(List.of(), UsageErrors.close("zzzzzz", List.of("consumer", "topic")));
    }

    @Test
    void shouldDocumentTheExitStatusesAndEnvironmentInTheHelp() {
        InProcess.Result help = InProcess.raw(new byte[0], "--help");
        assertEquals(0, help.code());
        String oneLine = help.out().replaceAll("\\s+", " ");
        assertTrue(oneLine.contains("Exit status: 0 success; 1 the command failed"), help.out());
        assertTrue(oneLine.contains("2 usage error"), help.out());
        assertTrue(oneLine.contains("DIASPORA_DRIVER") && oneLine.contains("DIASPORA_DRIVER_CONFIG"), help.out());
        assertTrue(oneLine.contains("generate-completion"), help.out());
    }

    @Test
    void shouldGenerateABashAndZshCompletionScriptNamingTheCommands() {
        InProcess.Result r = InProcess.raw(new byte[0], "generate-completion");
        assertEquals(0, r.code(), r::err);
        String s = r.out();
        assertTrue(s.startsWith("#!/usr/bin/env bash"), s.substring(0, Math.min(200, s.length())));
        assertTrue(s.contains("complete -F _complete_diaspora-ctl"), "bash registration");
        assertTrue(s.contains("ZSH_VERSION") && s.contains("bashcompinit"), "zsh support");
        for (String sub : List.of("topic", "driver", "produce", "consume", "consumer", "fifo", "forward", "export",
                "import", "server", "bench")) {
            assertTrue(s.contains("\"" + sub) || s.contains(" " + sub + " ") || s.contains(" " + sub + "\""), sub);
        }
        assertTrue(s.contains("--print-ids") && s.contains("--driver-config"), "options of subcommands");
    }

    @Test
    void shouldBuildTheModelWithPicocliOwnGeneratorThroughThePublicFactory() throws Exception {
        Path script = tmp.resolve("ctl_completion");
        picocli.AutoComplete.main("--factory", DiasporaCtl.Factory.class.getName(), "--force", "-o",
                script.toString(), DiasporaCtl.class.getName());
        String s = Files.readString(script);
        assertTrue(s.contains("produce") && s.contains("--print-ids"), "script of " + s.length() + " chars");
    }

    @Test
    void shouldGiveShellAdviceInsteadOfJavaAdvice() {
        String given = String.join(" ", ctl.driver()); // --driver memory --driver.instance ctl-test-N
        InProcess.Result missing = ctl.run("produce", "-t", "runs");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("create it with: diaspora-ctl topic create " + given + " --name runs"),
                missing.err());
        assertFalse(missing.err().contains("createTopic("), missing.err());

        // the advice is a command that works: paste it
        String advice = missing.err().substring(missing.err().indexOf("diaspora-ctl topic create")).strip();
        String[] words = advice.substring("diaspora-ctl ".length()).split(" ");
        assertEquals(0, InProcess.raw(new byte[0], words).code(), advice);
        assertEquals(0, ctl.runIn("x\n", "produce", "-t", "runs").code());

        InProcess.Result exists = ctl.run("topic", "create", "--name", "runs");
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("delete it first with: diaspora-ctl topic delete " + given + " --name runs"),
                exists.err());
        assertFalse(exists.err().contains("openTopic("), exists.err());

        // from the environment: nothing to repeat
        InProcess.Result fromEnv = withEnv(Map.of("DIASPORA_DRIVER", "memory"), "", "topic", "describe", "--name",
                "nope", "--driver.instance", "ctl-advice-env");
        assertTrue(fromEnv.err().contains("create it with: diaspora-ctl topic create --driver.instance "
                + "ctl-advice-env --name nope"), fromEnv.err());

        InProcess.Result option = ctl.run("topic", "create", "--name", "x", "--topic.colour", "red");
        assertEquals(1, option.code());
        assertTrue(option.err().contains("'colour' (--topic.colour)"), option.err());
        InProcess.Result driverOption = ctl.run("topic", "list", "--driver.colour", "red");
        assertTrue(driverOption.err().contains("(--driver.colour)"), driverOption.err());
        InProcess.Result selector = ctl.run("topic", "create", "--name", "y", "--partition-selector", "hash",
                "--partition-selector.fild", "x");
        assertEquals(1, selector.code());
        assertTrue(selector.err().contains("--partition-selector.fild"), selector.err());

        InProcess.Result driver = InProcess.raw(new byte[0], "topic", "list", "--driver", "nosuch");
        assertEquals(1, driver.code());
        assertTrue(driver.err().contains("No driver named 'nosuch'") && driver.err().contains("memory")
                && driver.err().contains("diaspora-ctl driver list"), driver.err());
    }

    @Test
    void shouldSpellDriverOptionsAsShellWords() {
        DriverOptions d = new DriverOptions();
        d.name = "files";
        d.config = Path.of("/etc/my driver.json");
        com.fasterxml.jackson.databind.node.ObjectNode dotted = JsonConfig.MAPPER.createObjectNode();
        dotted.put("root_path", "/data/ds").putObject("a").put("b", 3);
        dotted.putArray("plugin_path").add("/opt/p");
        assertEquals("--driver files --driver-config '/etc/my driver.json' --driver.root_path /data/ds "
                + "--driver.a.b 3 --driver.plugin_path '[\"/opt/p\"]'", ShellAdvice.driverOptions(d, dotted));
        assertEquals("'it'\\''s'", ShellAdvice.quote("it's"));
    }

    @Test
    void shouldRewriteEveryJavaAdviceTheApiGives() {
        assertEquals("Topic 'a b' does not exist here. Create it with: diaspora-ctl topic create <driver options>"
                + " --name 'a b'", ShellAdvice.rewrite("Topic 'a b' does not exist here. Create it with createTopic(\"a b\")"));
        assertEquals("x; Run the command again if the topic exists (see: diaspora-ctl topic list <driver options>) (a"
                + " re-created topic is new)", ShellAdvice.rewrite("x; Close this handle with its producers and"
                        + " consumers, and open the topic again with openTopic(\"t\") if it exists (a re-created topic"
                        + " is new)"));
        assertEquals("closed: it was deleted. Run the command again once it is created again",
                ShellAdvice.rewrite("closed: it was deleted. Open it again with openTopic(\"t\") once it is created again"));
        assertEquals("Missing required option 'root_path' (--driver.root_path) for driver 'files': a directory",
                ShellAdvice.rewrite("Missing required option 'root_path' for driver 'files': a directory"));
        assertEquals("Invalid value 'x' for option 'field' (--partition-selector.field) of the hash partition selector",
                ShellAdvice.rewrite("Invalid value 'x' for option 'field' of the hash partition selector"));
        assertEquals("Partition 0 is already read by another live consumer named 'c'. Use another --name, or stop the"
                + " process that reads under this one (diaspora-ctl consumer describe shows the stored positions).",
                ShellAdvice.rewrite("Partition 0 is already read by another live consumer named 'c'. Use other"
                        + " targets, another name, or close the other consumer."));
        assertEquals("nothing to change", ShellAdvice.rewrite("nothing to change"));
    }

    @Test
    void shouldPrintOneIdsLinePerStdinLineWhateverHappenedToIt() {
        assertEquals(0, ctl.run("topic", "create", "--name", "t").code());
        String stdin = "{\"a\":1}\n{bad\n\n[2]\n{\"c\":\n3\n";
        InProcess.Result r = ctl.runIn(stdin, "produce", "-t", "t", "--format", "json", "--print-ids");
        assertEquals(1, r.code(), "some lines failed");
        List<String> lines = r.lines();
        assertEquals(6, lines.size(), r.out());
        assertEquals("0 0", lines.get(0));
        assertTrue(lines.get(1).startsWith("error: "), lines.get(1));
        assertEquals("skipped: empty line", lines.get(2));
        assertEquals("0 1", lines.get(3));
        assertTrue(lines.get(4).startsWith("error: "), lines.get(4));
        assertEquals("0 2", lines.get(5));
        assertTrue(r.err().contains("stdin line 2"), r.err());
    }

    @Test
    void shouldPrintAnErrorLineForAnEventTheValidatorRejects() {
        assertEquals(0, ctl.run("topic", "create", "--name", "v", "--validator", "schema",
                "--validator.schema.required", "[\"x\"]").code());
        InProcess.Result r = ctl.runIn("{\"x\":1}\n{\"y\":1}\n{\"x\":2}\n", "produce", "-t", "v", "--format", "json",
                "--print-ids");
        assertEquals(1, r.code());
        assertEquals(3, r.lines().size(), r.out());
        assertEquals("0 0", r.lines().get(0));
        assertTrue(r.lines().get(1).startsWith("error: ") && !r.lines().get(1).contains("\n"), r.lines().get(1));
        assertEquals("0 1", r.lines().get(2));
    }

    @Test
    void shouldTakeTheDriverAndItsOptionsFromTheEnvironmentWithTheCommandLineWinning() throws Exception {
        Path config = tmp.resolve("driver.json");
        Files.writeString(config, "{\"instance\": \"ctl-env-a\"}");
        Map<String, String> env = Map.of("DIASPORA_DRIVER", "memory", "DIASPORA_DRIVER_CONFIG", config.toString());
        assertEquals(0, withEnv(env, "", "topic", "create", "--name", "in-a").code());
        assertEquals(List.of("in-a"), withEnv(env, "", "topic", "list").lines());
        // a dotted option merges over the file
        assertEquals(List.of(), withEnv(env, "", "topic", "list", "--driver.instance", "ctl-env-b").lines());
        // --driver-config replaces the file
        Path other = tmp.resolve("other.json");
        Files.writeString(other, "{\"instance\": \"ctl-env-c\"}");
        assertEquals(List.of(), withEnv(env, "", "topic", "list", "--driver-config", other.toString()).lines());
        // --driver wins over DIASPORA_DRIVER
        InProcess.Result files = withEnv(Map.of("DIASPORA_DRIVER", "nosuch"), "", "topic", "list", "--driver",
                "memory", "--driver.instance", "ctl-env-a");
        assertEquals(List.of("in-a"), files.lines(), files.err());
        // the file belongs to DIASPORA_DRIVER: kept for the same --driver, left out for another one
        assertEquals(List.of("in-a"), withEnv(env, "", "topic", "list", "--driver", "memory").lines());
        Path filesConfig = tmp.resolve("files.json");
        Files.writeString(filesConfig, "{\"root_path\": \"" + tmp.resolve("root").toString().replace("\\", "/")
                + "\"}");
        InProcess.Result otherDriver = withEnv(Map.of("DIASPORA_DRIVER", "files", "DIASPORA_DRIVER_CONFIG",
                filesConfig.toString()), "", "topic", "list", "--driver", "memory", "--driver.instance", "ctl-env-a");
        assertEquals(List.of("in-a"), otherDriver.lines(), otherDriver.err());
        InProcess.Result wrong = withEnv(Map.of("DIASPORA_DRIVER", "nosuch"), "", "topic", "list");
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("'nosuch'"), wrong.err());
        InProcess.Result badFile = withEnv(Map.of("DIASPORA_DRIVER", "memory", "DIASPORA_DRIVER_CONFIG",
                tmp.resolve("missing.json").toString()), "", "topic", "list");
        assertEquals(1, badFile.code());
        assertTrue(badFile.err().contains("$DIASPORA_DRIVER_CONFIG"), badFile.err());
        InProcess.Result none = withEnv(Map.of(), "", "topic", "list");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--driver") && none.err().contains("DIASPORA_DRIVER"), none.err());
    }

    @Test
    void shouldAcceptTheOtherCommandsSpellingsInBench() {
        String instance = "ctl-bench-alias";
        InProcess.Result p = InProcess.raw(new byte[0], "bench", "producer", "--driver", "memory", "--driver.instance",
                instance, "--topic", "b", "--count", "30", "--json");
        assertEquals(0, p.code(), p::err);
        assertTrue(p.out().contains("\"total_events\":30"), p.out());
        InProcess.Result c = withEnv(Map.of("DIASPORA_DRIVER", "memory"), "", "bench", "consumer", "-c",
                "{\"instance\":\"other\"}", "--driver.instance", instance, "-t", "b", "--count", "30", "--json");
        assertEquals(0, c.code(), c::err);
        assertTrue(c.out().contains("\"total_events\":30"), c.out());
    }

    @Test
    void shouldTranslateBenchAliasesOnly() {
        com.fasterxml.jackson.databind.node.ObjectNode none = JsonConfig.MAPPER.createObjectNode();
        assertEquals(List.of("-n", "5", "--num-events", "7", "--num-events=9", "-p", "2"),
                BenchArgs.translate(List.of("-n", "5", "--count", "7", "--count=9", "-p", "2"), none, Map.of()));
        com.fasterxml.jackson.databind.node.ObjectNode dotted = JsonConfig.MAPPER.createObjectNode().put("b", 2);
        assertEquals(List.of("-c", "{\"a\":1,\"b\":2}", "-d", "files"),
                BenchArgs.translate(List.of("-d", "files", "--driver-config", "{\"a\":1,\"b\":1}"), dotted, Map.of()));
        assertEquals(List.of("-c", "/x.json", "-d", "memory", "-t", "t"),
                BenchArgs.translate(List.of("-t", "t"), none, Map.of("DIASPORA_DRIVER", "memory",
                        "DIASPORA_DRIVER_CONFIG", "/x.json")));
        assertEquals(List.of("-d", "files", "-t", "t"), BenchArgs.translate(List.of("-d", "files", "-t", "t"), none,
                Map.of("DIASPORA_DRIVER", "memory", "DIASPORA_DRIVER_CONFIG", "/x.json")), "another driver's file");
        assertEquals(List.of("-c", "/x.json", "--driver=memory"), BenchArgs.translate(List.of("--driver=memory"), none,
                Map.of("DIASPORA_DRIVER", "memory", "DIASPORA_DRIVER_CONFIG", "/x.json")), "the same driver's file");
    }
}
