package dev.diaspora.stream.spi;

import java.util.concurrent.TimeUnit;

/** {@link Clock#system()}: the JVM's clock. Not API. Thread safety: immutable. */
final class SystemClock implements Clock {
    static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
    }

    @Override
    public String toString() {
        return "Clock.system()";
    }
}
