package dev.diaspora.stream.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The arguments {@code diaspora-ctl bench producer|consumer} hands to a benchmark program, aligned with the other
 * commands. The programs keep the C++ benchmarks' short options ({@code -n} events, {@code -c} driver config,
 * {@code -p} threads, ...) and their own long names; on top of them the tool accepts what the other commands spell
 * the same way:
 * <ul>
 *   <li>{@code --count N} (as in {@code consume}) for {@code -n/--num-events N};</li>
 *   <li>{@code --driver.<key> <value>} (as everywhere) merged over {@code -c/--driver-config} (inline JSON or a
 *       file), passed to the program as one inline JSON {@code -c};</li>
 *   <li>{@code DIASPORA_DRIVER} and {@code DIASPORA_DRIVER_CONFIG} when {@code -d} and {@code -c} are absent (the
 *       file only for that driver, as in {@link DriverOptions}).</li>
 * </ul>
 *
 * <p>Thread safety: stateless.
 */
final class BenchArgs {
    private static final List<String> COUNT = List.of("--count");
    private static final List<String> DRIVER = List.of("-d", "--driver");
    private static final List<String> CONFIG = List.of("-c", "--driver-config");

    private BenchArgs() {
    }

    /**
     * @param args the arguments as given (without the tool's own options)
     * @param dottedDriver the {@code --driver.<key>} options, empty if none
     * @param env the environment
     * @return the arguments for the program
     * @throws CtlException if {@code -c} names a file that cannot be read or is not a JSON object
     */
    static List<String> translate(List<String> args, ObjectNode dottedDriver, Map<String, String> env) {
        List<String> out = new ArrayList<>(args.size() + 4);
        String config = null;
        String driver = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                out.addAll(args.subList(i, args.size()));
                break;
            }
            String name = a.startsWith("--") && a.indexOf('=') > 0 ? a.substring(0, a.indexOf('=')) : a;
            String inline = name.equals(a) ? null : a.substring(name.length() + 1);
            if (COUNT.contains(name)) {
                out.add(inline == null ? "--num-events" : "--num-events=" + inline);
            } else if (CONFIG.contains(name) && (inline != null || i + 1 < args.size())) {
                config = inline != null ? inline : args.get(++i); // the last one wins, as in the programs
            } else {
                if (DRIVER.contains(name) && (inline != null || i + 1 < args.size())) {
                    driver = inline != null ? inline : args.get(i + 1);
                }
                out.add(a);
            }
        }
        String envDriver = present(env.get(DriverOptions.ENV_DRIVER)) ? env.get(DriverOptions.ENV_DRIVER).trim() : null;
        if (driver == null && envDriver != null) {
            out.addAll(0, List.of("-d", envDriver));
        }
        String option = "-c";
        boolean sameDriver = driver == null || envDriver == null || driver.equals(envDriver);
        if (config == null && sameDriver && present(env.get(DriverOptions.ENV_DRIVER_CONFIG))) {
            config = env.get(DriverOptions.ENV_DRIVER_CONFIG).trim();
            option = "$" + DriverOptions.ENV_DRIVER_CONFIG;
        }
        if (!dottedDriver.isEmpty()) {
            ObjectNode base = config == null ? JsonConfig.MAPPER.createObjectNode() : configObject(config, option);
            config = JsonConfig.mergePatch(base, dottedDriver).toString();
        }
        if (config != null) {
            out.addAll(0, List.of("-c", config));
        }
        return out;
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }

    /** -c's value as an object: inline JSON (it starts with a brace) or a file, as the programs read it. */
    private static ObjectNode configObject(String value, String option) {
        String t = value.trim();
        if (!t.startsWith("{")) {
            return JsonConfig.readObject(Path.of(t), option);
        }
        JsonNode node;
        try {
            node = JsonConfig.MAPPER.readTree(t);
        } catch (JsonProcessingException e) {
            throw new CtlException(option + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new CtlException(option + ": must be a JSON object, got " + JsonConfig.kind(node));
        }
        return (ObjectNode) node;
    }
}
