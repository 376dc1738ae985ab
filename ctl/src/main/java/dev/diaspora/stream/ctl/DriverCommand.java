package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.DriverInfo;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diaspora-ctl driver list}: every driver on the class path with its documented options.
 *
 * <p>Thread safety: confined to the command's thread.
 */
@Command(name = "driver", mixinStandardHelpOptions = true, description = "Drivers on the class path.",
        subcommands = DriverCommand.ListDrivers.class)
final class DriverCommand implements Callable<Integer> {
    /** The option the engine accepts for every driver (it is not in any driver's schema). */
    static final DriverInfo.OptionInfo PLUGIN_PATH = new DriverInfo.OptionInfo("plugin_path", "array", false, null,
            "Directories that plugin jars named in stored topic configurations (name:plugin.jar) may be loaded from;"
                    + " accepted by every driver. Example: --driver.plugin_path '[\"/opt/diaspora/plugins\"]'.");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing action: expected list");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = {"List every driver found on the class "
        + "path with its driver options (for --driver.<key>) and topic options (for --topic.<key>).",
        "Without --json, a readable listing; with --json, one JSON array."})
    static final class ListDrivers extends CtlCommand {
        @Option(names = "--json", description = "Print a JSON array of {name, description, options, topic_options}.")
        boolean json;

        ListDrivers(CtlContext ctx) {
            super(ctx);
        }

        @Override
        int execute() {
            List<DriverInfo> drivers = new ArrayList<>(Driver.available());
            drivers.sort(Comparator.comparing(DriverInfo::name));
            if (json) {
                ArrayNode out = JsonNodeFactory.instance.arrayNode();
                for (DriverInfo d : drivers) {
                    ObjectNode o = out.addObject();
                    o.put("name", d.name());
                    o.put("description", d.description());
                    List<DriverInfo.OptionInfo> options = new ArrayList<>(d.options());
                    options.add(PLUGIN_PATH);
                    o.set("options", options(options));
                    o.set("topic_options", options(d.topicOptions()));
                }
                ctx.out().println(Output.pretty(out));
                return 0;
            }
            PrintStream out = ctx.out();
            for (DriverInfo d : drivers) {
                out.println(d.name() + ": " + d.description());
                out.println("  driver options (--driver.<key>):");
                for (DriverInfo.OptionInfo o : d.options()) {
                    out.println("    " + describe(o));
                }
                out.println("    " + describe(PLUGIN_PATH));
                out.println("  topic options (--topic.<key>):");
                for (DriverInfo.OptionInfo o : d.topicOptions()) {
                    out.println("    " + describe(o));
                }
            }
            return 0;
        }

        private static ArrayNode options(List<DriverInfo.OptionInfo> infos) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            for (DriverInfo.OptionInfo i : infos) {
                ObjectNode o = a.addObject();
                o.put("name", i.name());
                o.put("type", i.type());
                o.put("required", i.required());
                if (i.defaultValue() != null) {
                    o.put("default", i.defaultValue());
                }
                o.put("doc", i.doc());
            }
            return a;
        }

        private static String describe(DriverInfo.OptionInfo o) {
            StringBuilder b = new StringBuilder(o.name()).append(" (").append(o.type());
            if (o.required()) {
                b.append(", required");
            }
            if (o.defaultValue() != null) {
                b.append(", default ").append(o.defaultValue());
            }
            return b.append("): ").append(o.doc()).toString();
        }
    }
}
