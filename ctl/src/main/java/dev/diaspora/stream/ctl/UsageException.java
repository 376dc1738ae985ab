package dev.diaspora.stream.ctl;

/**
 * A command line the tool cannot accept, found only once the command runs (an option value picocli does not check,
 * such as {@code consume --count -1}): {@link DiasporaCtl} prints its message as one line and exits with the usage
 * status 2, like the errors picocli finds while parsing.
 *
 * <p>Thread safety: immutable.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
