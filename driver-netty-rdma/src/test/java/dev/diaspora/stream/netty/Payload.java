package dev.diaspora.stream.netty;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Event content derived from (producer, number), so that a consumer can tell which push an event came from and check
 * its bytes: metadata {@code {"w":producer,"n":number}}, data of a size and content given by the pair.
 */
final class Payload {
    private Payload() {
    }

    static Metadata metadata(int producer, long n) {
        return Metadata.of("{\"w\":" + producer + ",\"n\":" + n + "}");
    }

    /** @return the data of push {@code n} of {@code producer}: mostly small, one in eight up to {@code max} bytes */
    static byte[] data(int producer, long n, int max) {
        SplittableRandom r = new SplittableRandom(producer * 0x9E3779B97F4A7C15L + n);
        int size = r.nextInt(8) == 0 ? r.nextInt(max + 1) : r.nextInt(Math.min(max, 512) + 1);
        byte[] b = new byte[size];
        r.nextBytes(b);
        return b;
    }

    static DataView view(int producer, long n, int max) {
        return DataView.of(data(producer, n, max));
    }

    static int producer(Event e) {
        return e.metadata().json().get("w").asInt();
    }

    static long number(Event e) {
        return e.metadata().json().get("n").asLong();
    }

    /** @return null if {@code e} carries the data its metadata names, else what is wrong */
    static String mismatch(Event e, int max) {
        byte[] want = data(producer(e), number(e), max);
        byte[] got = e.data().toByteArray();
        return Arrays.equals(want, got) ? null : "event " + e.partition() + "/" + e.id() + " " + e.metadata()
                + ": data of " + got.length + " bytes differs from the " + want.length + " bytes pushed";
    }
}
