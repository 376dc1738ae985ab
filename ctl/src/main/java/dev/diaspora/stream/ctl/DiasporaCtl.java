package dev.diaspora.stream.ctl;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code diaspora-ctl}: the command-line tool. {@link #main} parses the arguments with picocli, runs one command, and
 * exits with status {@value #EXIT_OK} on success, {@value #EXIT_USAGE} when the command line is wrong (unknown option or
 * command, missing or malformed argument, a dotted option the command does not take) and {@value #EXIT_FAILURE} when
 * the command fails while it runs, after printing one line on stderr (with the stack trace only under
 * {@code --verbose}). Logs go to stderr through SLF4J; stdout carries only results.
 *
 * <p>Thread safety: {@link #run} may be called from several threads, each run with its own streams (logging levels are
 * process-wide).
 */
@Command(name = "diaspora-ctl", mixinStandardHelpOptions = true, versionProvider = DiasporaCtl.Version.class,
        description = "Manage and use Diaspora Stream topics with any driver on the class path.",
        subcommands = {TopicCommand.class, DriverCommand.class, ProduceCommand.class, ConsumeCommand.class,
            ConsumerCommand.class, FifoCommand.class, ForwardCommand.class, ExportCommand.class, ImportCommand.class,
            ServerCommand.class, BenchCommand.class, AutoComplete.GenerateCompletion.class},
        footer = {"", "Every command that opens a driver takes --driver NAME, --driver-config FILE.json and "
            + "--driver.<key> <value> (dotted keys build nested objects; numbers and JSON arrays/objects are typed, "
            + "everything else is a string). Run 'diaspora-ctl COMMAND --help' for details.",
            "",
            "Environment: DIASPORA_DRIVER is the driver when --driver is absent; DIASPORA_DRIVER_CONFIG is the JSON "
                + "file of driver options when --driver-config is absent (--driver.<key> options still merge over it; "
                + "the command line wins).",
            "",
            "Shell completion (bash and zsh): source <(diaspora-ctl generate-completion)",
            "",
            "Exit status: 0 success; 1 the command failed while running (one line on stderr says why); "
                + "2 usage error: unknown command or option, missing or malformed argument."})
public final class DiasporaCtl implements Callable<Integer> {
    static final String NAME = "diaspora-ctl";
    /** Exit status of a successful run. */
    static final int EXIT_OK = 0;
    /** Exit status of a command that failed while it ran (driver, topic, file, event errors). */
    static final int EXIT_FAILURE = 1;
    /** Exit status of a command line the tool could not accept (picocli's convention for usage errors). */
    static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    /** Runs the tool and exits the JVM with its status. */
    public static void main(String[] args) {
        // Most commands run for moments: the engine's JMX MBeans (docs/metrics.md) would start the platform MBean
        // server on every run, tens of milliseconds and more on a loaded machine. They stay off unless asked for
        // with -Ddiaspora.jmx=true (DIASPORA_CTL_JAVA_OPTS), e.g. to watch a long `server` or `forward`.
        if (System.getProperty("diaspora.jmx") == null) {
            System.setProperty("diaspora.jmx", "false");
        }
        // Results go through a buffer (System.out flushes every line); commands flush where timing matters.
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.UTF_8);
        int status = run(args, System.in, out, System.err, true);
        out.flush();
        System.exit(status);
    }

    /**
     * Runs the tool in this JVM with these streams and returns the exit status; installs no signal handler or hook.
     * For tests and embedding.
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return run(args, in, out, err, false);
    }

    /**
     * As {@link #run(String[], InputStream, PrintStream, PrintStream)}, with {@code env} instead of the process's
     * environment (for {@code DIASPORA_DRIVER} and {@code DIASPORA_DRIVER_CONFIG}).
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, in, out, err, env, false);
    }

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err, boolean ownsProcess) {
        return run(args, in, out, err, System.getenv(), ownsProcess);
    }

    private static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
            boolean ownsProcess) {
        DottedOptions dotted;
        try {
            dotted = DottedOptions.extract(args);
        } catch (CtlException e) {
            printError(err, e.getMessage() + " (see '" + NAME + " --help')");
            return EXIT_USAGE;
        }
        CtlContext ctx = new CtlContext(in, out, err, dotted, ownsProcess, Map.copyOf(env));
        CommandLine cl = new CommandLine(new DiasporaCtl(), new Factory(ctx));
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExpandAtFiles(false); // "@name" is an ordinary argument, never a file to read arguments from
        cl.setExecutionStrategy(pr -> execute(ctx, pr));
        cl.setParameterExceptionHandler((ex, a) -> {
            printError(err, UsageErrors.message(ex));
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, pr) -> {
            printError(err, ShellAdvice.withDriverOptions(describe(ex), c.getCommandSpec(), ctx));
            if (c.getCommand() instanceof CtlCommand cmd && cmd.common.verbose) {
                ex.printStackTrace(err);
            }
            return unwrap(ex) instanceof UsageException ? EXIT_USAGE : EXIT_FAILURE;
        });
        try {
            return cl.execute(dotted.remaining());
        } finally {
            err.flush();
            out.flush();
        }
    }

    private static int execute(CtlContext ctx, ParseResult pr) {
        if (CommandLine.printHelpIfRequested(pr)) {
            return 0;
        }
        List<CommandLine> chain = pr.asCommandLineList();
        CommandLine leaf = chain.get(chain.size() - 1);
        if (leaf.getCommand() instanceof CtlCommand cmd) {
            List<String> rejected = new ArrayList<>();
            for (String p : ctx.dotted().prefixesGiven()) {
                if (!cmd.dottedPrefixes().contains(p)) {
                    rejected.add("--" + p + ".<key>");
                }
            }
            if (!rejected.isEmpty()) {
                throw new ParameterException(leaf, "'" + leaf.getCommandSpec().qualifiedName() + "' does not accept "
                        + String.join(", ", rejected) + (cmd.dottedPrefixes().isEmpty() ? ""
                                : "; it accepts " + String.join(", ",
                                        cmd.dottedPrefixes().stream().sorted().map(p -> "--" + p + ".<key>")
                                                .toList())));
            }
            try {
                Logging.apply(cmd.common.logging);
            } catch (CtlException e) {
                throw new ParameterException(leaf, e.getMessage());
            }
        }
        return new CommandLine.RunLast().execute(pr);
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: expected one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** Prints {@code message} as one line: "diaspora-ctl: message". */
    static void printError(PrintStream err, String message) {
        err.println(NAME + ": " + oneLine(message));
        err.flush();
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    /** @return the message a user needs, without wrapper exceptions and class names they cannot act on */
    static String describe(Throwable t) {
        Throwable c = unwrap(t);
        String m = c.getMessage();
        if (c instanceof NoSuchFileException) {
            return "no such file or directory: " + m;
        } else if (c instanceof AccessDeniedException) {
            return "permission denied: " + m;
        } else if (c instanceof FileAlreadyExistsException) {
            return "file already exists: " + m;
        } else if (c instanceof IOException) {
            return "I/O error: " + (m == null ? c.getClass().getSimpleName() : m);
        } else if (c instanceof dev.diaspora.stream.DiasporaException d) {
            return ShellAdvice.rewrite(d);
        } else if (c instanceof CtlException || c instanceof UsageException
                || c instanceof IllegalArgumentException || c instanceof IllegalStateException
                || c instanceof UnsupportedOperationException) {
            return m == null ? c.getClass().getSimpleName() : m;
        }
        return "internal error: " + c.getClass().getName() + (m == null ? "" : ": " + m)
                + " (run with --verbose for the stack trace)";
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException
                || c instanceof CommandLine.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /**
     * Creates commands, giving the run's context to those that take it. Commands take their context in their
     * constructor, so picocli's default factory cannot build them; tools that build the command model from the class
     * alone need this factory, for example picocli's own completion generator:
     * {@code java -cp diaspora-ctl.jar picocli.AutoComplete --factory dev.diaspora.stream.ctl.DiasporaCtl$Factory
     * dev.diaspora.stream.ctl.DiasporaCtl} (or simply {@code diaspora-ctl generate-completion}).
     *
     * <p>Thread safety: immutable; safe to share.
     */
    public static final class Factory implements CommandLine.IFactory {
        private final CtlContext ctx;
        private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

        /** A factory whose commands use the process's streams and environment and own nothing. */
        public Factory() {
            this(new CtlContext(System.in, System.out, System.err, DottedOptions.extract(new String[0]), false,
                    System.getenv()));
        }

        Factory(CtlContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            Constructor<K> c;
            try {
                c = cls.getDeclaredConstructor(CtlContext.class);
            } catch (NoSuchMethodException e) {
                return fallback.create(cls);
            }
            c.setAccessible(true);
            return c.newInstance(ctx);
        }
    }

    /** The version from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = DiasporaCtl.class.getResourceAsStream("/diaspora-ctl-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {NAME + " " + p.getProperty("version", "unknown")};
        }
    }
}
