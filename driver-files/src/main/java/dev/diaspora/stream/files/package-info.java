/**
 * The {@code files} driver and its C++-layout sibling. Public types: {@link dev.diaspora.stream.files.FilesDriverProvider}
 * (found by {@code ServiceLoader} under the name {@code "files"}), {@link dev.diaspora.stream.files.V0DriverProvider}
 * (name {@code "files-v0"}: topics in the C++ library's layout) and {@link dev.diaspora.stream.files.StoredDataSource}
 * (implemented by the files driver's topics, for the netty partition server's zero-copy data path: not for
 * applications). Everything else here is package-private. Topics are directories under {@code root_path}, partitions
 * are segmented logs of the storage engine in {@link dev.diaspora.stream.files.storage}; the module's README.md
 * describes options and guarantees, FORMAT.md the files byte by byte.
 */
package dev.diaspora.stream.files;
