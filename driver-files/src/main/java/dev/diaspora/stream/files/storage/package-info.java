/**
 * The storage engine of the {@code files} driver: a partition as a segmented, append-only log of data, metadata and
 * index files with checksums ({@link dev.diaspora.stream.files.storage.PartitionLog}), safe for several processes and
 * after crashes. Not API: public only so that the netty partition server can host partitions on it and send whole
 * checksummed data blocks ({@link dev.diaspora.stream.files.storage.StoredData}) with zero-copy transfers. The binary layouts are the
 * {@code *Descriptor} classes and the module's FORMAT.md. The benchmarks module uses
 * {@link dev.diaspora.stream.files.storage.DirectoryTrees} for its data directories.
 */
package dev.diaspora.stream.files.storage;
