package dev.diaspora.stream.redis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.CrashableMember;
import dev.diaspora.stream.tck.LoopbackProxy;
import java.net.InetSocketAddress;

/**
 * The redis driver's crash hook for the TCK (rule G5): the member has its own driver instance, connected to the
 * shared server through a {@link LoopbackProxy}. {@link #crash()} closes the proxy: the member can no longer
 * heartbeat, refresh its leases or leave, as if its process had been killed, so its entry in the group expires and
 * the live members take its partitions over. {@link #close()} closes its driver quietly (short timeouts, so that it
 * gives up quickly).
 *
 * <p>Thread safety: used by the test's thread.
 */
final class CrashableRedisMember implements CrashableMember {
    private final LoopbackProxy proxy;
    private final Driver driver;
    private final Consumer consumer;

    private CrashableRedisMember(LoopbackProxy proxy, Driver driver, Consumer consumer) {
        this.proxy = proxy;
        this.driver = driver;
        this.consumer = consumer;
    }

    static CrashableRedisMember open(Metadata driverOptions, String topic, ConsumerOptions options) {
        LoopbackProxy proxy = new LoopbackProxy(new InetSocketAddress("127.0.0.1", 6379));
        ObjectNode o = ((ObjectNode) driverOptions.json()).deepCopy();
        o.put("uri", "redis://127.0.0.1:" + proxy.port());
        o.put("command_timeout_ms", 2000);
        o.put("connect_timeout_ms", 1000);
        Driver d = null;
        try {
            d = Driver.open("redis", Metadata.of(o));
            return new CrashableRedisMember(proxy, d, d.openTopic(topic).consumer(options));
        } catch (RuntimeException e) {
            if (d != null) {
                d.close();
            }
            proxy.close();
            throw e;
        }
    }

    @Override
    public Consumer consumer() {
        return consumer;
    }

    @Override
    public void crash() {
        proxy.close();
    }

    @Override
    public void close() {
        proxy.close();
        try {
            driver.close(); // its server is out of reach, which it reports in its log
        } catch (RuntimeException e) {
            // a crashed member cannot close cleanly, by design
        }
    }
}
