package dev.diaspora.stream.ctl;

import dev.diaspora.stream.bench.programs.ConsumerBenchmark;
import dev.diaspora.stream.bench.programs.ProducerBenchmark;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code diaspora-ctl bench producer|consumer [options]}: the benchmark programs of the {@code benchmarks} module, with
 * the C++ tools' options (plus the aliases of {@link BenchArgs}), printing exactly what their plain mains print. Exit
 * status as everywhere in the tool: 0; 2 with one line on stderr for a bad option; 1 with one line for a driver
 * error, or when the program itself reports a failure (a push failed, fewer events than {@code -n} arrived) after
 * printing its own line.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Producer and consumer benchmarks with the C++ tools' options and output.",
        subcommands = {BenchCommand.Producer.class, BenchCommand.Consumer.class})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing program: expected one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** A program's entry point: parses its arguments, prints its report on {@code out}, returns its exit status. */
    @FunctionalInterface
    interface Runner {
        int run(String[] argv, PrintStream out) throws Exception;
    }

    /** Runs one program on the tool's stdout with every argument but {@code -v}, {@code --logging}, {@code -h}. */
    abstract static class Program extends CtlCommand {
        @Unmatched
        List<String> programArgs = new ArrayList<>();

        private final Runner runner;
        private final String[] optionHelp;
        CommandSpec spec;

        Program(CtlContext ctx, Runner runner, String[] optionHelp) {
            super(ctx);
            this.runner = runner;
            this.optionHelp = optionHelp;
        }

        /** Picocli injects the spec here, before parsing: the help's footer lists the program's own options. */
        @Spec
        void spec(CommandSpec commandSpec) {
            this.spec = commandSpec;
            List<String> footer = new ArrayList<>(List.of("", "Program options (passed to the program as given):"));
            for (String line : optionHelp) {
                footer.add("  " + line);
            }
            footer.addAll(List.of("", "Also accepted, as in the other commands: --count N for -n N; --driver.<key> "
                    + "<value>, merged over -c; DIASPORA_DRIVER and DIASPORA_DRIVER_CONFIG when -d and -c are absent. "
                    + "The short options are the C++ benchmarks': -n, -c, -p, -s, -f mean other things here than in "
                    + "produce and consume."));
            commandSpec.usageMessage().footer(footer.toArray(String[]::new));
        }

        @Override
        Set<String> dottedPrefixes() {
            return Set.of("driver");
        }

        @Override
        int execute() throws Exception {
            List<String> argv = BenchArgs.translate(programArgs, ctx.dotted().get("driver"), ctx.env());
            int status;
            try {
                status = runner.run(argv.toArray(String[]::new), ctx.out());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            } finally {
                ctx.out().flush();
            }
            return status == 0 ? 0 : 1;
        }
    }

    @Command(name = "producer", mixinStandardHelpOptions = true,
            description = {"Pushes -n events of -m metadata bytes and -s data bytes to a topic, flushing every -f "
                + "events, and prints the time, throughput, bandwidth and push-to-completion latency percentiles.",
                "Same options and output as the C++ diaspora-producer-benchmark; see docs/benchmarks.md."},
            customSynopsis = "diaspora-ctl bench producer -d DRIVER -t TOPIC [-c JSON|FILE] [-n N] [-s BYTES] "
                + "[-m BYTES] [-b N] [-p N] [-f N] [--json] [--processes N] [--topic-config JSON] [--seed N] [--count N] "
                + "[--driver.<key> VALUE]")
    static final class Producer extends Program {
        Producer(CtlContext ctx) {
            super(ctx, ProducerBenchmark::run, ProducerBenchmark.optionHelp());
        }
    }

    @Command(name = "consumer", mixinStandardHelpOptions = true,
            description = {"Reads -n events of a topic from the start under a consumer name, fetching a fraction -i of "
                + "the events' data and a fraction -s of each, and prints the time, throughput, bytes delivered, bytes "
                + "read from the OS and poll latency percentiles.",
                "Same options and output as the C++ diaspora-consumer-benchmark; see docs/benchmarks.md."},
            customSynopsis = "diaspora-ctl bench consumer -d DRIVER -t TOPIC [-c JSON|FILE] [-n N] [-p N] [-s F] "
                + "[-i F] [--json] [--idle-timeout SECONDS] [--name NAME] [--count N] [--driver.<key> VALUE]")
    static final class Consumer extends Program {
        Consumer(CtlContext ctx) {
            super(ctx, ConsumerBenchmark::run, ConsumerBenchmark.optionHelp());
        }
    }
}
