package dev.diaspora.stream.files;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Child process of {@link V0TailTest}: appends events to partition {@code p} of a v0 topic the way the C++ files
 * driver does, with plain file writes (no Java driver code): the metadata record, then the data, then the index
 * record, the index record in two halves with a pause between them, so that readers meet partial index records and
 * events whose metadata and data are written but not yet indexed. Event k has metadata {@code {"k":k}} and the
 * fixtures' data pattern of (k*37)%300 bytes. Prints {@code READY} before the first event and {@code DONE} at the end.
 */
public final class CppLayoutWriterMain {
    private CppLayoutWriterMain() {
    }

    /** @param args partition directory, first k, event count, pause in ms */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int from = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        long pause = Long.parseLong(args[3]);
        try (FileChannel index = open(dir.resolve("index")); FileChannel md = open(dir.resolve("metadata"));
                FileChannel data = open(dir.resolve("data"))) {
            System.out.println("READY");
            for (int k = from; k < from + count; k++) {
                byte[] json = ("{\"k\":" + k + "}").getBytes(StandardCharsets.UTF_8);
                byte[] bytes = V0Fixtures.pattern(k, (k * 37) % 300);
                long mo = md.size();
                long dof = data.size();
                ByteBuffer m = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
                m.putLong(json.length).put(json).flip();
                md.write(m, mo);
                data.write(ByteBuffer.wrap(bytes), dof);
                Thread.sleep(pause);
                ByteBuffer r = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
                r.putLong(mo).putLong(8 + json.length).putLong(dof).putLong(bytes.length).flip();
                long at = index.size();
                index.write(r.duplicate().limit(16), at);
                Thread.sleep(pause);
                index.write(r.position(16), at + 16);
            }
        }
        System.out.println("DONE");
    }

    private static FileChannel open(Path f) throws java.io.IOException {
        return FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }
}
