package dev.diaspora.stream.ctl;

/**
 * A failure the user can act on (bad argument, unreadable file, failed event): {@link DiasporaCtl} prints its message
 * as one line and exits with status 1, without a stack trace unless {@code --verbose} is given.
 *
 * <p>Thread safety: immutable.
 */
final class CtlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CtlException(String message) {
        super(message);
    }

    CtlException(String message, Throwable cause) {
        super(message, cause);
    }
}
