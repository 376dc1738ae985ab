package dev.diaspora.stream.bench.jmh;

import java.util.ArrayList;
import java.util.List;

/** JVM flags for forks that load Chronicle Queue (deps.md §2: the smallest working set), plus JDK 24+ extras. */
public final class BenchFlags {
    /** Keep in sync with {@code chronicle.jvm.args} in benchmarks/pom.xml. */
    public static final String[] CHRONICLE = {
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true",
    };
    public static final String[] JDK24_PLUS = {
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
    };

    private BenchFlags() {
    }

    /** Flags for a fork of the current JDK: the Chronicle set, plus the JDK 24+ set when this JVM is 24 or newer. */
    public static String[] forkArgs() {
        List<String> l = new ArrayList<>(List.of(CHRONICLE));
        l.add("-Xmx4g");
        l.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        if (Runtime.version().feature() >= 24) {
            l.addAll(List.of(JDK24_PLUS));
        }
        return l.toArray(String[]::new);
    }
}
