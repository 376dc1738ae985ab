/**
 * Not API. The engine shared by every driver: driver discovery, the public facades, the producer pipeline with its
 * batching and back-pressure, and the consumer's prefetch, selection and delivery. Drivers implement only the SPI
 * ({@code dev.diaspora.stream.spi}).
 */
package dev.diaspora.stream.internal.engine;
