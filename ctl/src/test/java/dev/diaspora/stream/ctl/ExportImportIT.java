package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** export then import through the jar, against the files driver. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExportImportIT {
    @TempDir
    Path tmp;

    @Test
    void shouldReproduceTheTopicAndRejectADamagedArchive() throws Exception {
        ChildCtl ctl = new ChildCtl(tmp);
        ctl.run("topic", "create", "@D", "--name", "orig", "--topic.num_partitions", "3", "--topic.segment_size",
                "65536", "--partition-selector", "hash", "--partition-selector.field", "k").ok();
        Random random = new Random(1234);
        try (Driver d = ctl.openDriver(); TopicHandle t = d.openTopic("orig"); Producer p = t.producer()) {
            for (int i = 0; i < 200; i++) {
                byte[] data = new byte[i % 7 == 0 ? 0 : random.nextInt(i % 10 == 0 ? 100_000 : 300)];
                random.nextBytes(data);
                p.push(Metadata.of("{\"k\":\"key-" + (i % 13) + "\", \"i\": " + i + "}"), DataView.of(data));
            }
            p.flush().join();
        }
        List<ChildCtl.Stored> original = ctl.readAll("orig");
        assertEquals(200, original.size());

        Path archive = tmp.resolve("orig.dxp");
        ctl.run("export", "@D", "-t", "orig", "--file", archive.toString()).ok();
        ctl.run("import", "@D", "--file", archive.toString(), "-t", "copy").ok();
        List<ChildCtl.Stored> copy = ctl.readAll("copy");
        assertEquals(original.size(), copy.size());
        for (int i = 0; i < original.size(); i++) {
            ChildCtl.Stored a = original.get(i);
            ChildCtl.Stored b = copy.get(i);
            assertEquals(a.partition(), b.partition());
            assertEquals(a.id(), b.id());
            assertEquals(a.metadata(), b.metadata());
            assertArrayEquals(a.data(), b.data());
        }
        String origCfg = ctl.run("topic", "list", "@D", "-v").ok().lines().stream().filter(l -> l.startsWith("orig "))
                .findFirst().orElseThrow().substring(5);
        String copyCfg = ctl.run("topic", "list", "@D", "-v").ok().lines().stream().filter(l -> l.startsWith("copy "))
                .findFirst().orElseThrow().substring(5);
        assertEquals(JsonConfig.MAPPER.readTree(origCfg), JsonConfig.MAPPER.readTree(copyCfg),
                "options and components reproduced");

        Path other = tmp.resolve("other-root");
        ctl.run("import", "--driver", "memory", "--file", archive.toString()).ok();
        ctl.run("import", "--driver", "files", "--driver.root_path", other.toString(), "--file", archive.toString())
                .ok();
        assertTrue(Files.isDirectory(other.resolve("orig")), "default name: the exported topic's");

        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x10);
        }
        ChildCtl.Result damaged = ctl.run("import", "@D", "--file", archive.toString(), "-t", "never");
        assertEquals(1, damaged.code());
        assertEquals(1, damaged.errLines().size(), damaged.err());
        assertTrue(damaged.err().contains("damaged"), damaged.err());
        assertFalse(ctl.run("topic", "list", "@D").ok().lines().contains("never"), "nothing imported");
    }
}
