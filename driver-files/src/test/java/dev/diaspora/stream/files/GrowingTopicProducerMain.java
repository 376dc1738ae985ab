package dev.diaspora.stream.files;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Child process of {@link FilesTopicChangeTest}: a producer opened on a topic before another process adds partitions
 * to it. Prints {@code READY} once its producer is open, waits until a file exists, then pushes {@code count} events
 * with the default (round-robin) selector and prints {@code PARTITIONS <n> USED <set>}: the partition count its handle
 * sees and the partitions its events went to.
 */
public final class GrowingTopicProducerMain {
    private GrowingTopicProducerMain() {
    }

    /** @param args root path, topic name, event count, the file to wait for */
    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[2]);
        Path go = Path.of(args[3]);
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + args[0] + "\"}"));
                TopicHandle t = d.openTopic(args[1]);
                Producer p = t.producer()) {
            System.out.println("READY " + t.partitions().size());
            while (!Files.exists(go)) {
                Thread.sleep(5);
            }
            Thread.sleep(2 * TopicChangesFile.CHECK_NANOS / 1_000_000); // at most one check interval late
            List<CompletableFuture<Long>> ids = new ArrayList<>();
            for (int n = 0; n < count; n++) {
                ids.add(p.push(Content.metadata("g", n), DataView.of(Content.data("g", n))));
            }
            p.flush().join();
            for (CompletableFuture<Long> f : ids) {
                f.join();
            }
            TreeSet<Integer> used = new TreeSet<>();
            for (int q = 0; q < t.partitions().size(); q++) {
                if (t.bounds(q).next() > 0) {
                    used.add(q);
                }
            }
            System.out.println("PARTITIONS " + t.partitions().size() + " USED " + used);
        } catch (Throwable e) {
            System.out.println("ERROR " + e);
            e.printStackTrace();
        }
    }
}
