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
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code diaspora-ctl}: the command-line tool. {@link #main} parses the arguments with picocli, runs one command, and
 * exits with status 0 on success and 1 on any failure, after printing one line on stderr (with the stack trace only
 * under {@code --verbose}). Logs go to stderr through SLF4J; stdout carries only results.
 *
 * <p>Thread safety: {@link #run} may be called from several threads, each run with its own streams (logging levels are
 * process-wide).
 */
@Command(name = "diaspora-ctl", mixinStandardHelpOptions = true, versionProvider = DiasporaCtl.Version.class,
        description = "Manage and use Diaspora Stream topics with any driver on the class path.",
        subcommands = {TopicCommand.class, DriverCommand.class, ProduceCommand.class, ConsumeCommand.class,
            ConsumerCommand.class, FifoCommand.class, ForwardCommand.class, ExportCommand.class, ImportCommand.class,
            ServerCommand.class, BenchCommand.class},
        footer = {"", "Every command that opens a driver takes --driver NAME, --driver-config FILE.json and "
            + "--driver.<key> <value> (dotted keys build nested objects; numbers and JSON arrays/objects are typed, "
            + "everything else is a string). Run 'diaspora-ctl COMMAND --help' for details."})
public final class DiasporaCtl implements Callable<Integer> {
    static final String NAME = "diaspora-ctl";

    @Spec
    CommandSpec spec;

    /** Runs the tool and exits the JVM with its status. */
    public static void main(String[] args) {
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

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err, boolean ownsProcess) {
        DottedOptions dotted;
        try {
            dotted = DottedOptions.extract(args);
        } catch (CtlException e) {
            printError(err, e.getMessage() + " (see '" + NAME + " --help')");
            return 1;
        }
        CtlContext ctx = new CtlContext(in, out, err, dotted, ownsProcess);
        CommandLine cl = new CommandLine(new DiasporaCtl(), new Factory(ctx));
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExpandAtFiles(false); // "@name" is an ordinary argument, never a file to read arguments from
        cl.setExecutionStrategy(pr -> execute(ctx, pr));
        cl.setParameterExceptionHandler((ex, a) -> {
            printError(err, ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help')");
            return 1;
        });
        cl.setExecutionExceptionHandler((ex, c, pr) -> {
            printError(err, describe(ex));
            if (c.getCommand() instanceof CtlCommand cmd && cmd.common.verbose) {
                ex.printStackTrace(err);
            }
            return 1;
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
        } else if (c instanceof CtlException || c instanceof dev.diaspora.stream.DiasporaException
                || c instanceof IllegalArgumentException || c instanceof IllegalStateException) {
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

    /** Creates commands, giving the run's context to those that take it. */
    private static final class Factory implements CommandLine.IFactory {
        private final CtlContext ctx;
        private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

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
