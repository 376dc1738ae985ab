package dev.diaspora.stream.bench.programs;

import java.io.PrintStream;

/**
 * The plain {@code main} of the benchmark programs: runs one on {@code System.out} and exits with its status. A bad
 * argument ({@link IllegalArgumentException}) prints {@code error: <message>} and the usage on stderr; any other
 * failure prints its stack trace. Both exit with 255, as the C++ tools do.
 *
 * <p>Thread safety: stateless.
 */
final class ProgramMain {
    /** A program: parses {@code argv}, writes its report to {@code out}, returns the exit status. */
    @FunctionalInterface
    interface Program {
        int run(String[] argv, PrintStream out) throws Exception;
    }

    private ProgramMain() {
    }

    static void exit(String[] argv, Program program, String usage) {
        int status;
        try {
            status = program.run(argv, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(usage);
            status = 255;
        } catch (Exception e) {
            e.printStackTrace();
            status = 255;
        }
        System.out.flush();
        System.exit(status);
    }
}
