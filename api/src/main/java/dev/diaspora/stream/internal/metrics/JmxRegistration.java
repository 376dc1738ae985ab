package dev.diaspora.stream.internal.metrics;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MBean in the platform MBean server, named
 * {@code dev.diaspora.stream:type=<type>,<key>=<value>...,id=<n>}: the values the user chose (topic and component
 * names) are quoted with {@link ObjectName#quote}, and {@code id} is a number unique in the JVM, so two producers of
 * one name do not collide. {@link #close()} unregisters it. With the system property {@value #ENABLED_PROPERTY}
 * {@code =false} nothing is registered and the platform MBean server is not started (its start-up costs tens of
 * milliseconds, more on a loaded machine: short-lived command-line runs turn it off). A registration that fails (a security manager, a name
 * taken by someone else) is logged once at WARN and leaves the object without an MBean: metrics never fail an open.
 * Not API.
 *
 * <p>Thread safety: thread-safe; {@link #close()} is idempotent.
 */
public final class JmxRegistration implements AutoCloseable {
    /** The JMX domain of every Diaspora MBean. */
    public static final String DOMAIN = "dev.diaspora.stream";
    /** System property: {@code false} turns the MBeans off (read at each registration; default {@code true}). */
    public static final String ENABLED_PROPERTY = "diaspora.jmx";

    private static final Logger LOG = LoggerFactory.getLogger(JmxRegistration.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final ObjectName name; // null when registration failed
    private final AtomicBoolean closed = new AtomicBoolean();

    private JmxRegistration(ObjectName name) {
        this.name = name;
    }

    /**
     * Registers {@code bean} under a new name.
     *
     * @param type {@code Driver}, {@code Producer} or {@code Consumer}
     * @param keys the other keys, in order; values are quoted
     * @param bean the MBean
     * @return the registration, to close when the object closes
     */
    public static JmxRegistration register(String type, Map<String, String> keys, MetricsMBean bean) {
        if ("false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY, "true").trim())) {
            return new JmxRegistration(null);
        }
        StringBuilder sb = new StringBuilder(DOMAIN).append(":type=").append(type);
        for (Map.Entry<String, String> k : keys.entrySet()) {
            sb.append(',').append(k.getKey()).append('=').append(ObjectName.quote(k.getValue()));
        }
        sb.append(",id=").append(IDS.incrementAndGet());
        try {
            ObjectName name = new ObjectName(sb.toString());
            ManagementFactory.getPlatformMBeanServer().registerMBean(bean, name);
            return new JmxRegistration(name);
        } catch (JMException | RuntimeException e) {
            LOG.warn("cannot register the MBean {}; its metrics are still available from metrics(): {}", sb, e.toString());
            return new JmxRegistration(null);
        }
    }

    /** @return the MBean's name, or null if it could not be registered */
    public ObjectName name() {
        return name;
    }

    /** Unregisters the MBean (once). */
    @Override
    public void close() {
        if (name == null || !closed.compareAndSet(false, true)) {
            return;
        }
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException e) {
            // someone else unregistered it: nothing left to do
        } catch (JMException | RuntimeException e) {
            LOG.warn("cannot unregister the MBean {}: {}", name, e.toString());
        }
    }
}
