/**
 * Metrics export of the engine: JMX MBeans ({@link dev.diaspora.stream.internal.metrics.MetricsMBean}, registered
 * through {@link dev.diaspora.stream.internal.metrics.JmxRegistration}) and a lock-free latency histogram. Not API:
 * the MBean names, attributes and units are the contract, documented in {@code docs/metrics.md}.
 */
package dev.diaspora.stream.internal.metrics;
