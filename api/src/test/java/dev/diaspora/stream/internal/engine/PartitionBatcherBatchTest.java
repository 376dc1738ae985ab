package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A batch is allocated at the size of the previous one and must still grow past it: more events, or more metadata,
 * than the hint. Verbatim metadata (the default serializer, no buffer) and serialized buffers give the same bytes.
 */
class PartitionBatcherBatchTest {
    @Test
    void shouldGrowPastItsInitialSizeAndKeepEveryEventsBytes() {
        PartitionBatcher.Batch batch = new PartitionBatcher.Batch(2, 4);
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            String text = "{\"i\":" + i + ",\"pad\":\"" + "x".repeat(i * 37) + "\"}";
            Metadata md = Metadata.of(text);
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            DataView data = DataView.of(ByteBuffer.wrap(new byte[i]));
            PendingEvent e = new PendingEvent(md, data, -1, utf8.length + i, null, (p, id, err) -> { },
                    new dev.diaspora.stream.internal.metrics.LatencyHistogram(),
                    dev.diaspora.stream.spi.Clock.system());
            if (i % 2 == 0) {
                batch.add(e, null);
            } else { // a buffer with a non-zero position, as a custom serializer may return
                ByteBuffer framed = ByteBuffer.allocate(utf8.length + 3).position(3);
                framed.put(utf8).position(3);
                batch.add(e, framed);
            }
            expected.add(utf8);
            assertSame(data, batch.data[i]);
            assertSame(e, batch.events[i]);
        }
        assertEquals(11, batch.count);
        long bytes = 0;
        for (int i = 0; i < 11; i++) {
            byte[] got = Arrays.copyOfRange(batch.metadata, batch.offsets[i], batch.offsets[i + 1]);
            assertArrayEquals(expected.get(i), got, "event " + i);
            bytes += got.length + i;
        }
        assertEquals(bytes, batch.bytes);
        assertEquals(bytes, batch.permitBytes);
    }
}
