package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.DriverNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Turns the advice in the API's error messages, written for Java callers ({@code create it first with
 * createTopic("runs")}, {@code open it with openTopic("runs")}, {@code Add the artifact ...}), into advice for a shell
 * user ({@code create it with: diaspora-ctl topic create <driver options> --name runs}), and names the command-line
 * form of a driver, topic or component option a message names ({@code option 'root_path' (--driver.root_path)}).
 * When the command that failed took driver options, {@link #withDriverOptions} puts those of its command line in place
 * of {@code <driver options>}, so the advice can be pasted. Messages it does not recognise pass unchanged: the API's
 * text stays the source of truth, this only rewrites the parts that would make a shell user reach for Java.
 *
 * <p>Thread safety: stateless.
 */
final class ShellAdvice {
    /** Stands for the --driver options the user gave; the advice cannot know which of them matter. */
    static final String DRIVER_OPTIONS = "<driver options>";

    private static final Pattern CREATE = Pattern.compile("([Cc])reate it(?: first)? with createTopic\\(\"([^\"]*)\"\\)");
    private static final Pattern OPEN_OR_CHOOSE = Pattern.compile(
            "open it with openTopic\\(\"([^\"]*)\"\\) or choose another name");
    private static final Pattern REOPEN_HANDLE = Pattern.compile(
            "Close this handle with its producers and consumers, and open the topic again with openTopic\\(\"([^\"]*)"
                    + "\"\\) if it exists");
    private static final Pattern REOPEN_DELETED = Pattern.compile(
            "Open it again with openTopic\\(\"([^\"]*)\"\\) once it is created again");
    private static final Pattern OPTION = Pattern.compile(
            "option '([^']+)'( (?:for|of) (?:the )?(?:(driver|topic) '|\\S*\\s?(validator|serializer|partition selector)))");
    private static final Pattern OTHER_CONSUMER = Pattern.compile(
            "Use other targets, another name, or close the other consumer\\.");
    private static final Pattern ARTIFACT = Pattern.compile("Add the artifact (\\S+) to use it\\.");

    private ShellAdvice() {
    }

    /** @return {@code e}'s message with Java advice replaced by shell advice */
    static String rewrite(DiasporaException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof DriverNotFoundException d) {
            return driverNotFound(d, m);
        }
        return rewrite(m);
    }

    /** @return {@code m} with Java advice replaced by shell advice */
    static String rewrite(String m) {
        m = replace(CREATE, m, x -> x.group(1) + "reate it with: " + NAME_CMD + " topic create " + DRIVER_OPTIONS
                + " --name " + quote(x.group(2)));
        m = replace(OPEN_OR_CHOOSE, m, x -> "use it as it is (see: " + NAME_CMD + " topic describe " + DRIVER_OPTIONS
                + " --name " + quote(x.group(1)) + "), delete it first with: " + NAME_CMD + " topic delete "
                + DRIVER_OPTIONS + " --name " + quote(x.group(1)) + ", or choose another name");
        m = replace(REOPEN_HANDLE, m, x -> "Run the command again if the topic exists (see: " + NAME_CMD
                + " topic list " + DRIVER_OPTIONS + ")");
        m = replace(REOPEN_DELETED, m, x -> "Run the command again once it is created again");
        m = replace(OTHER_CONSUMER, m, x -> "Use another --name, or stop the process that reads under this one ("
                + NAME_CMD + " consumer describe shows the stored positions).");
        m = replace(OPTION, m, x -> "option '" + x.group(1) + "' (" + flag(x) + ")" + x.group(2));
        return m;
    }

    private static final String NAME_CMD = DiasporaCtl.NAME;

    /**
     * @param message a message from {@link #rewrite}
     * @param command the command that failed
     * @param ctx its run
     * @return {@code message} with {@link #DRIVER_OPTIONS} replaced by the driver options of this command line, so the
     *     advice can be pasted as it is; unchanged if the command takes no driver options
     */
    static String withDriverOptions(String message, CommandSpec command, CtlContext ctx) {
        if (!message.contains(DRIVER_OPTIONS)) {
            return message;
        }
        for (CommandSpec mixin : command.mixins().values()) {
            if (mixin.userObject() instanceof DriverOptions d) {
                String given = driverOptions(d, ctx.dotted().get("driver"));
                return given.isEmpty() ? message.replace(DRIVER_OPTIONS + " ", "").replace(DRIVER_OPTIONS, "")
                        : message.replace(DRIVER_OPTIONS, given);
            }
        }
        return message;
    }

    /** @return the shell words that give these driver options again (what came from the environment stays there) */
    static String driverOptions(DriverOptions d, ObjectNode dotted) {
        List<String> words = new ArrayList<>();
        if (d.name != null) {
            words.add("--driver " + quote(d.name));
        }
        if (d.config != null) {
            words.add("--driver-config " + quote(d.config.toString()));
        }
        dotted(words, "--driver", dotted);
        return String.join(" ", words);
    }

    private static void dotted(List<String> words, String prefix, JsonNode node) {
        if (node.isObject() && !node.isEmpty()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                dotted(words, prefix + "." + e.getKey(), e.getValue());
            }
        } else {
            words.add(prefix + " " + quote(node.isTextual() ? node.asText() : node.toString()));
        }
    }

    private static String flag(Matcher x) {
        String prefix = x.group(3) != null ? x.group(3) : x.group(4).replace(' ', '-');
        return "--" + prefix + "." + x.group(1);
    }

    private static String driverNotFound(DriverNotFoundException d, String m) {
        List<String> available = d.available();
        Matcher artifact = ARTIFACT.matcher(m);
        return "No driver named '" + d.driverName() + "' in " + NAME_CMD + ". Available drivers: "
                + (available.isEmpty() ? "none" : String.join(", ", available))
                + " (see: " + NAME_CMD + " driver list). To use another driver, put its jar"
                + (artifact.find() ? " (" + artifact.group(1) + ")" : "") + " on the class path: java -cp "
                + "diaspora-ctl.jar:DRIVER.jar dev.diaspora.stream.ctl.DiasporaCtl ...";
    }

    /** @return {@code s} as one shell word: unchanged when it is safe, else in single quotes */
    static String quote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:@%+=,-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String replace(Pattern p, String m, java.util.function.Function<Matcher, String> f) {
        Matcher x = p.matcher(m);
        StringBuilder b = new StringBuilder();
        while (x.find()) {
            x.appendReplacement(b, Matcher.quoteReplacement(f.apply(x)));
        }
        x.appendTail(b);
        return b.toString();
    }
}
