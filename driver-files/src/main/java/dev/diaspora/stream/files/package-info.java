/**
 * The {@code files} driver: {@link dev.diaspora.stream.files.FilesDriverProvider} is its only public type (found by
 * {@code ServiceLoader} under the name {@code "files"}); everything else here is package-private. Topics are
 * directories under {@code root_path}, partitions are segmented logs of the storage engine in
 * {@link dev.diaspora.stream.files.storage}; the module's README.md describes options and guarantees, FORMAT.md the
 * files byte by byte.
 */
package dev.diaspora.stream.files;
