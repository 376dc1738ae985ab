package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.io.PrintStream;

/**
 * Child process of {@link CrashTest}: pushes events to every partition of a topic until it is killed, and prints
 * {@code OK <partition> <id>} for every push whose future completed. The content of event {@code id} of partition
 * {@code p} is {@code Content.metadata/data("p<p>", id)}: this process is the only producer, so it knows each id in
 * advance and prints {@code MISMATCH} if the driver assigns another.
 */
public final class CrashProducerMain {
    private CrashProducerMain() {
    }

    /** @param args root path, topic name */
    public static void main(String[] args) {
        PrintStream out = System.out;
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Producer producer = t.producer(ProducerOptions.named("crash").maxInFlightBatches(4))) {
            int n = t.partitions().size();
            long[] next = new long[n];
            for (int p = 0; p < n; p++) {
                next[p] = t.bounds(p).next();
            }
            out.println("READY");
            for (long k = 0;; k++) {
                int p = (int) (k % n);
                long id = next[p]++;
                String key = "p" + p;
                producer.push(Content.metadata(key, id), DataView.of(Content.data(key, id)), p)
                        .whenComplete((got, err) -> {
                            if (err != null) {
                                out.println("ERROR " + err);
                            } else if (got != id) {
                                out.println("MISMATCH " + p + " " + id + " " + got);
                            } else {
                                out.println("OK " + p + " " + got);
                            }
                        });
            }
        } catch (Throwable e) {
            out.println("ERROR " + e);
            e.printStackTrace();
        }
    }
}
