package dev.diaspora.stream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.bench.jmh.ApiBenchmark;
import dev.diaspora.stream.bench.jmh.EngineMemoryBenchmark;
import dev.diaspora.stream.bench.jmh.FilesAppendBenchmark;
import dev.diaspora.stream.bench.jmh.FilesReadBenchmark;
import dev.diaspora.stream.bench.jmh.V0ReadBenchmark;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Smoke mode: every JMH benchmark runs in this JVM (forks 0) for one very short iteration, so that the suite
 * never rots. Chronicle's JVM flags come from surefire's argLine (benchmarks/pom.xml).
 */
class BenchmarkSmokeTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(classes = {ApiBenchmark.class, EngineMemoryBenchmark.class, FilesAppendBenchmark.class,
        FilesReadBenchmark.class, V0ReadBenchmark.class})
    void runsOneShortIteration(Class<?> benchmark) throws Exception {
        System.setProperty("bench.dir", dir.toString());
        Options opts = new OptionsBuilder()
                .include(benchmark.getName() + "\\.")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .timeout(TimeValue.seconds(60))
                .shouldFailOnError(true)
                .verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT)
                .timeUnit(TimeUnit.SECONDS)
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        assertFalse(results.isEmpty(), "no benchmark ran for " + benchmark);
        for (RunResult r : results) {
            double score = r.getPrimaryResult().getScore();
            assertTrue(score > 0, r.getParams().getBenchmark() + " " + r.getParams() + " scored " + score);
        }
    }
}
