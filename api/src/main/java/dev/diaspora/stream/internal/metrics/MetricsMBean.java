package dev.diaspora.stream.internal.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.ImmutableDescriptor;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.ReflectionException;

/**
 * A read-only MBean made of named attributes, each read from a supplier when asked (nothing is computed on the hot
 * path). Each attribute carries a description and its unit in the descriptor field {@code units} (JMX's convention),
 * e.g. {@code events}, {@code bytes}, {@code nanoseconds}. A {@link DynamicMBean}, so the engine's classes need not
 * be public or exported. Not API.
 *
 * <p>Thread safety: thread-safe once built (the attributes are fixed by the constructor).
 */
public final class MetricsMBean implements DynamicMBean {
    /** One attribute: its name, Java type, unit and meaning, and how to read it. */
    public record Metric(String name, Class<?> type, String unit, String description, Supplier<?> value) {
        /** A {@code long} attribute. */
        public static Metric ofLong(String name, String unit, String description,
                java.util.function.LongSupplier value) {
            return new Metric(name, Long.class, unit, description, value::getAsLong);
        }
    }

    private final String description;
    private final Map<String, Metric> metrics = new LinkedHashMap<>();
    private final MBeanInfo info;

    /**
     * @param description what the MBean describes
     * @param list its attributes, in the order they are listed
     */
    public MetricsMBean(String description, List<Metric> list) {
        this.description = description;
        List<MBeanAttributeInfo> attrs = new ArrayList<>();
        for (Metric m : list) {
            metrics.put(m.name(), m);
            attrs.add(new MBeanAttributeInfo(m.name(), m.type().getName(), m.description(), true, false, false,
                    new ImmutableDescriptor("units=" + m.unit())));
        }
        info = new MBeanInfo(MetricsMBean.class.getName(), description, attrs.toArray(new MBeanAttributeInfo[0]),
                null, null, null);
    }

    /** @return the attributes, in order */
    public List<Metric> metrics() {
        return List.copyOf(metrics.values());
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException, MBeanException {
        Metric m = metrics.get(attribute);
        if (m == null) {
            throw new AttributeNotFoundException("no attribute '" + attribute + "' in " + description
                    + "; the attributes are " + metrics.keySet());
        }
        try {
            return m.value().get();
        } catch (RuntimeException e) {
            throw new MBeanException(e, "reading " + attribute + " of " + description + ": " + e);
        }
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        AttributeList out = new AttributeList();
        for (String a : attributes) {
            try {
                out.add(new Attribute(a, getAttribute(a)));
            } catch (AttributeNotFoundException | MBeanException e) {
                // JMX's contract: attributes that cannot be read are left out of the list
            }
        }
        return out;
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException("the attributes of " + description + " are read-only");
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList(); // read-only: none set
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws ReflectionException {
        throw new ReflectionException(new NoSuchMethodException(actionName), description + " has no operations");
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        return info;
    }
}
