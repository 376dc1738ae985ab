package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.util.SplittableRandom;

/** Deterministic event content derived from a key (partition and id, or producer and sequence), for checks. */
final class Content {
    private Content() {
    }

    /** @return the metadata of event {@code (p, id)}: its key plus padding of a varying length */
    static Metadata metadata(String key, long n) {
        int pad = Math.floorMod(n * 13 + key.hashCode(), 200);
        return Metadata.of("{\"k\":\"" + key + "\",\"n\":" + n + ",\"pad\":\"" + "x".repeat(pad) + "\"}");
    }

    /** @return the data size of event {@code (key, n)}: none, small, or up to about 3 blocks */
    static int size(String key, long n) {
        long h = mix(key.hashCode() * 31L + n);
        switch (Math.floorMod(h, 3)) {
            case 0:
                return 0;
            case 1:
                return Math.floorMod(h >>> 8, 2000);
            default:
                return Math.floorMod(h >>> 8, 150_000);
        }
    }

    /** @return the data of event {@code (key, n)} */
    static byte[] data(String key, long n) {
        byte[] b = new byte[size(key, n)];
        new SplittableRandom(mix(key.hashCode() ^ n * 0x9E3779B97F4A7C15L)).nextBytes(b);
        return b;
    }

    /** Checks that {@code e} carries exactly the content of {@code (key, n)}. */
    static void check(Event e, String key, long n) {
        assertEquals(metadata(key, n).toString(), e.metadata().toString(), "metadata of " + key + "/" + n
                + " (partition " + e.partition() + " id " + e.id() + ")");
        assertArrayEquals(data(key, n), e.data().toByteArray(), "data of " + key + "/" + n + " (partition "
                + e.partition() + " id " + e.id() + ")");
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
