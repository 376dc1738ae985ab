package dev.diaspora.stream.ctl;

import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * The base of every leaf command: the run's context, the common options, and which dotted option prefixes the
 * command accepts (anything else is rejected before it runs).
 *
 * <p>Thread safety: confined to the thread that runs the command.
 */
abstract class CtlCommand implements Callable<Integer> {
    final CtlContext ctx;

    @Mixin
    CommonOptions common;

    CtlCommand(CtlContext ctx) {
        this.ctx = ctx;
    }

    /** @return the prefixes of the {@code --prefix.K V} options this command accepts */
    Set<String> dottedPrefixes() {
        return Set.of();
    }

    /** Runs the command; returns the exit status (0 unless overridden). Failures throw. */
    abstract int execute() throws Exception;

    @Override
    public final Integer call() throws Exception {
        return execute();
    }
}
