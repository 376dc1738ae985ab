package dev.diaspora.stream.tck;

/** The body of one thread of a concurrent test, given its index. Not API. */
@FunctionalInterface
interface ThrowingIntConsumer {
    /** @param index the thread's index */
    void accept(int index) throws Exception;
}
