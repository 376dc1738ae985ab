package dev.diaspora.stream.ctl;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * What one run of the tool works with: its standard streams, the dotted options taken out of its arguments, and
 * whether it may install process-wide signal handlers (only {@link DiasporaCtl#main}, never a test calling
 * {@link DiasporaCtl#run} in-process).
 *
 * <p>Thread safety: immutable; the streams are shared and synchronised by {@link PrintStream}.
 *
 * @param in standard input
 * @param out standard output: results only, never logs
 * @param err standard error: the one-line error (logs go to the process's stderr through SLF4J)
 * @param dotted the {@code --driver.K V} (and friends) options
 * @param ownsProcess true if signal handlers and shutdown hooks may be installed
 * @param env the environment variables the run reads ({@code DIASPORA_DRIVER}, {@code DIASPORA_DRIVER_CONFIG}):
 *     the process's, or a test's
 */
record CtlContext(InputStream in, PrintStream out, PrintStream err, DottedOptions dotted, boolean ownsProcess,
        Map<String, String> env) {
}
