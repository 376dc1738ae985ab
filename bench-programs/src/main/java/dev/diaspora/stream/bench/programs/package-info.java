/**
 * The producer and consumer benchmark programs: Java ports of the C++ {@code diaspora-producer-benchmark} and
 * {@code diaspora-consumer-benchmark}, with their options and output lines plus HdrHistogram latency percentiles and
 * {@code --json}. Two public types: {@link dev.diaspora.stream.bench.programs.ProducerBenchmark} and
 * {@link dev.diaspora.stream.bench.programs.ConsumerBenchmark}, each with a plain {@code main}, a {@code run(argv,
 * out)} that {@code diaspora-ctl bench producer|consumer} calls, and its usage and option help.
 *
 * <p>This module has no JMH and no driver: the programs open the driver named by {@code -d} from whatever is on the
 * class path (the {@code diaspora-ctl} jar holds every driver; the {@code benchmarks} module's class path does too).
 */
package dev.diaspora.stream.bench.programs;
