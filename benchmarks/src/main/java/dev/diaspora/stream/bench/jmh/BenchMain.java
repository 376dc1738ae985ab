package dev.diaspora.stream.bench.jmh;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * JMH entry point: takes JMH's usual command line ({@code -f}, {@code -wi}, {@code -i}, {@code -prof gc},
 * {@code -rf json -rff file}, regexps...) and, unless {@code -jvmArgsAppend} is given, appends the Chronicle
 * flags plus, on JDK 24+, {@code --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow} to every
 * fork (annotations cannot depend on the JDK).
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cmd = new CommandLineOptions(args);
        if (cmd.shouldHelp()) {
            cmd.showHelp();
            return;
        }
        if (cmd.shouldList()) {
            new Runner(cmd).list();
            return;
        }
        ChainedOptionsBuilder b = new OptionsBuilder().parent(cmd);
        if (!cmd.getJvmArgsAppend().hasValue()) {
            b.jvmArgsAppend(BenchFlags.forkArgs());
        }
        new Runner(b.build()).run();
    }
}
