/**
 * The storage engine of the {@code files} driver: a partition as a segmented, append-only log of data, metadata and
 * index files with checksums ({@link dev.diaspora.stream.files.storage.PartitionLog}), safe for several processes and
 * after crashes. Not API: applications never need it. The binary layouts are the {@code *Descriptor} classes and the
 * module's FORMAT.md.
 *
 * <p>Ten types are public, because Java has no visibility between a package and its parent: each is named here with
 * the code outside this package that uses it. Everything else here is package-private.
 * <ul>
 *   <li>For the driver in {@link dev.diaspora.stream.files}: {@link dev.diaspora.stream.files.storage.PartitionLog}
 *       (a partition's log: the topic, retention and backend), {@link dev.diaspora.stream.files.storage.AppendResult}
 *       (what an append stored, for the append worker), {@link dev.diaspora.stream.files.storage.LogConfig} (segment
 *       size, fsync, segment age, from the topic options), {@link dev.diaspora.stream.files.storage.FileLocks} (the
 *       OS locks of consumer positions and group members), {@link dev.diaspora.stream.files.storage.StorageErrors}
 *       (storage failures as retriable errors naming the file, also for topic directories and the root probe),
 *       {@link dev.diaspora.stream.files.storage.PieceReader} (chunked reads, also under the {@code files-v0}
 *       partitions) and {@link dev.diaspora.stream.files.storage.FileHeaderDescriptor} (the common file header, also
 *       of the consumer-position files).</li>
 *   <li>{@link dev.diaspora.stream.files.storage.IndexDescriptor}: the index entry layout; public for the driver's
 *       tests that damage index entries on disk.</li>
 *   <li>{@link dev.diaspora.stream.files.storage.StoredData}: whole checksummed data blocks, for the netty partition
 *       server's zero-copy transfers (through {@link dev.diaspora.stream.files.StoredDataSource}).</li>
 *   <li>{@link dev.diaspora.stream.files.storage.DirectoryTrees}: recursive delete of a directory, for the driver's
 *       topic deletion and the benchmarks' data directories.</li>
 * </ul>
 */
package dev.diaspora.stream.files.storage;
