package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.CrashableMember;
import dev.diaspora.stream.tck.LoopbackProxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The netty driver's crash hook for the TCK (rule G5): the member has its own driver instance, whose connections go
 * through a TCP proxy on loopback, one per partition server. {@link #crash()} closes the proxies and every connection
 * through them: the partition servers see the member's connections end as they would when its process is killed (its
 * membership ends, its leases are dropped), and the member can no longer reach them. The test never uses the member
 * again; {@link #close()} closes its driver quietly.
 *
 * <p>Thread safety: used by the test's thread; the proxies run their own threads (named {@code tck-proxy-*}).
 */
final class CrashableNettyMember implements CrashableMember {
    private final List<LoopbackProxy> proxies;
    private final Driver driver;
    private final Consumer consumer;

    private CrashableNettyMember(List<LoopbackProxy> proxies, Driver driver, Consumer consumer) {
        this.proxies = proxies;
        this.driver = driver;
        this.consumer = consumer;
    }

    /** Opens a member of {@code topic} through proxies to the servers of {@code driverOptions}. */
    static CrashableNettyMember open(Metadata driverOptions, String topic, ConsumerOptions options) {
        ObjectNode o = ((ObjectNode) driverOptions.json()).deepCopy();
        List<LoopbackProxy> proxies = new ArrayList<>();
        ArrayNode proxied = o.arrayNode();
        Driver d = null;
        try {
            for (JsonNode s : o.get("servers")) {
                String a = s.asText();
                int colon = a.lastIndexOf(':');
                LoopbackProxy p = new LoopbackProxy(new InetSocketAddress(a.substring(0, colon),
                        Integer.parseInt(a.substring(colon + 1))));
                proxies.add(p);
                proxied.add("127.0.0.1:" + p.port());
            }
            o.set("servers", proxied);
            d = Driver.open("netty", Metadata.of(o));
            return new CrashableNettyMember(proxies, d, d.openTopic(topic).consumer(options));
        } catch (RuntimeException e) {
            if (d != null) {
                d.close();
            }
            proxies.forEach(LoopbackProxy::close);
            throw e;
        }
    }

    @Override
    public Consumer consumer() {
        return consumer;
    }

    @Override
    public void crash() {
        proxies.forEach(LoopbackProxy::close);
    }

    @Override
    public void close() {
        proxies.forEach(LoopbackProxy::close);
        try {
            driver.close(); // closes the consumer too; its servers are out of reach, which it reports in its log
        } catch (RuntimeException e) {
            // a crashed member cannot close cleanly, by design
        }
    }
}
