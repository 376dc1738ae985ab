package dev.diaspora.stream.ctl;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the tool's entry point in this JVM with captured streams, against a JVM-wide memory store per test. */
final class InProcess {
    private static final AtomicInteger STORES = new AtomicInteger();

    /** The outcome of one run. */
    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : Arrays.asList(err.split("\n"));
        }
    }

    private final String instance = "ctl-test-" + STORES.incrementAndGet();

    /** @return the driver options every run of this fixture uses */
    List<String> driver() {
        return List.of("--driver", "memory", "--driver.instance", instance);
    }

    Result run(String... args) {
        return run(new byte[0], args);
    }

    Result runIn(String stdin, String... args) {
        return run(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    /** Runs {@code args} plus, after the first words that are not options, this fixture's driver options. */
    Result run(byte[] stdin, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        int i = 0;
        while (i < all.size() && !all.get(i).startsWith("-")) {
            i++;
        }
        all.addAll(i, driver());
        return raw(stdin, all.toArray(new String[0]));
    }

    /** Runs {@code args} against the files driver in {@code root}; fails the test unless it exits 0. */
    static Result files(java.nio.file.Path root, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--driver", "files", "--driver.root_path", root.toString()));
        Result r = raw(new byte[0], all.toArray(new String[0]));
        org.junit.jupiter.api.Assertions.assertEquals(0, r.code(), r.err());
        return r;
    }

    /** Runs exactly {@code args}, with an empty environment (no DIASPORA_DRIVER from the test's). */
    static Result raw(byte[] stdin, String... args) {
        return raw(java.util.Map.of(), stdin, args);
    }

    /** Runs exactly {@code args} with {@code env} as the environment. */
    static Result raw(java.util.Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = DiasporaCtl.run(args, new ByteArrayInputStream(stdin), o, e, env);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
