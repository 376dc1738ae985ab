package dev.diaspora.stream.ctl;

import picocli.CommandLine.Option;

/**
 * Options every command takes: {@code -v/--verbose} (more output; a stack trace with an error) and
 * {@code --logging LEVEL}.
 *
 * <p>Thread safety: confined to the command's thread.
 */
final class CommonOptions {
    @Option(names = {"-v", "--verbose"},
            description = "More output (topic list: one JSON document per topic); on failure, the stack trace too.")
    boolean verbose;

    @Option(names = "--logging", paramLabel = "LEVEL",
            description = "Log level on stderr: trace, debug, info, warn, error or off (default: info for the tool, "
                    + "warn for libraries).")
    String logging;
}
