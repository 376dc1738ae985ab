/**
 * Not API. Resolution and built-ins of the pluggable components: {@link dev.diaspora.stream.Validator},
 * {@link dev.diaspora.stream.PartitionSelector} and {@link dev.diaspora.stream.Serializer}.
 *
 * <p>The entry point is {@link dev.diaspora.stream.internal.components.Components}, which the public interfaces'
 * {@code fromConfig} and {@code default*} methods call, and which drivers call with their {@code plugin_path} when
 * they re-open a stored topic. The built-ins ({@code default} and {@code schema} validators, {@code default} and
 * {@code hash} selectors, {@code default} serializer) are registered as providers in this module's
 * {@code META-INF/services}, like any third-party component.
 */
package dev.diaspora.stream.internal.components;
