package dev.diaspora.stream.bench.programs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal command-line parser for the benchmark programs: short and long options, each with a value unless it is a
 * flag. Kept dependency-free so that the programs start fast and print the C++ tools' option names.
 */
final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> raw;

    private Args(List<String> raw) {
        this.raw = raw;
    }

    /**
     * @param spec option spec: each entry "s|long" (takes a value) or "s|long!" (flag), the long name is the key
     */
    static Args parse(String[] argv, String... spec) {
        Map<String, String> names = new LinkedHashMap<>();
        Map<String, Boolean> flags = new LinkedHashMap<>();
        for (String s : spec) {
            boolean flag = s.endsWith("!");
            String t = flag ? s.substring(0, s.length() - 1) : s;
            String[] parts = t.split("\\|");
            String key = parts[parts.length - 1];
            for (String p : parts) {
                names.put(p.length() == 1 ? "-" + p : "--" + p, key);
            }
            flags.put(key, flag);
        }
        Args a = new Args(List.of(argv));
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            String key = names.get(arg);
            if (key == null) {
                throw new IllegalArgumentException("unknown option: " + argv[i]);
            }
            if (flags.get(key)) {
                a.values.put(key, "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= argv.length) {
                    throw new IllegalArgumentException("option " + arg + " needs a value");
                }
                value = argv[++i];
            }
            a.values.put(key, value);
        }
        return a;
    }

    List<String> raw() {
        return raw;
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    String str(String key, String def) {
        return values.getOrDefault(key, def);
    }

    String required(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing required option --" + key);
        }
        return v;
    }

    long longValue(String key, long def) {
        String v = values.get(key);
        return v == null ? def : parseSize(v);
    }

    int intValue(String key, int def) {
        return Math.toIntExact(longValue(key, def));
    }

    double fraction(String key, double def) {
        String v = values.get(key);
        double d = v == null ? def : Double.parseDouble(v);
        if (!(d >= 0 && d <= 1)) {
            throw new IllegalArgumentException("--" + key + " must be in [0,1], got " + v);
        }
        return d;
    }

    /** Accepts plain numbers and the suffixes k, K, Ki, m, M, Mi (powers of 1024 for K/Ki/M/Mi, 1000 for k/m). */
    static long parseSize(String v) {
        String s = v.trim();
        long mul = 1;
        if (s.endsWith("Ki") || s.endsWith("K")) {
            mul = 1024;
        } else if (s.endsWith("Mi") || s.endsWith("M")) {
            mul = 1024 * 1024;
        } else if (s.endsWith("k")) {
            mul = 1000;
        } else if (s.endsWith("m")) {
            mul = 1_000_000;
        }
        if (mul != 1) {
            s = s.replaceAll("[kKmMi]+$", "");
        }
        return Long.parseLong(s) * mul;
    }

    /** {@code -c} accepts an inline JSON object or the path of a JSON file, like the C++ tools (file only there). */
    static String driverConfig(String value) throws IOException {
        if (value == null || value.isBlank()) {
            return "{}";
        }
        String t = value.trim();
        if (t.startsWith("{")) {
            return t;
        }
        return Files.readString(Path.of(t), StandardCharsets.UTF_8);
    }

    /** {@code argv} without the options in {@code valued} (with their value) and the flags in {@code flags}. */
    static List<String> without(List<String> argv, List<String> valued, List<String> flags) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (flags.contains(a)) {
                continue;
            }
            if (valued.contains(a)) {
                i++;
                continue;
            }
            if (a.contains("=") && valued.contains(a.substring(0, a.indexOf('=')))) {
                continue;
            }
            out.add(a);
        }
        return out;
    }
}
