package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.DiasporaException;

/**
 * The outcome of {@link PartitionLog#append}: the first EventID of each batch that was committed, in order, and
 * the error that stopped the others (batches are committed in order, so the committed ones are a prefix).
 *
 * <p>Thread safety: immutable after the append returns.
 *
 * @param firstIds the first EventID of each committed batch (length {@code committed})
 * @param committed how many batches were committed
 * @param error why the remaining batches were not, or null if all were
 */
public record AppendResult(long[] firstIds, int committed, DiasporaException error) {
}
