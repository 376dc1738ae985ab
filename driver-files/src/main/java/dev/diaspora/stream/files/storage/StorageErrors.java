package dev.diaspora.stream.files.storage;

import dev.diaspora.stream.DiasporaException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The errors of the files storage when the file system refuses a write: a full disk, an I/O error of the device, a
 * read-only or unwritable directory. Each names the partition (or topic) and the file or directory, says what
 * happened to the events, and what to do. Internal to the files driver and the partition servers built on it.
 *
 * <p>Thread safety: stateless.
 */
public final class StorageErrors {
    private StorageErrors() {
    }

    /**
     * The error of an append that the file system refused. Retriable: the failed batch left nothing visible behind,
     * so the same events may be pushed again once the cause is gone, with the same producer.
     *
     * @param where the partition, as {@code topic 'name' partition n}
     * @param file the file being written (or the partition directory)
     * @param cause what the file system said
     * @return the error to fail the batch's events with
     */
    public static DiasporaException appendFailed(String where, Path file, Throwable cause) {
        String os = reason(cause);
        String what;
        if (isNoSpace(os)) {
            what = "the file system is full (" + os + "). Free space on it (or set retention.bytes or retention.ms"
                    + " on the topic so that old segments are removed), then push these events again: the producer"
                    + " and the events stored before stay as they were";
        } else if (isIoError(os)) {
            what = "the device reported an I/O error (" + os + "). Check the disk (dmesg, SMART) and push these events"
                    + " again; the events stored before are kept, a failing disk may need the topic to be copied away";
        } else if (isReadOnly(os)) {
            what = "the file system is read-only (" + os + "). Remount it read-write, or use a root_path on a writable"
                    + " file system, then push these events again";
        } else {
            what = os + ". Fix the cause and push these events again";
        }
        return new DiasporaException(where + ": cannot append to " + file + ": " + what
                + ". The events of this batch were not stored", cause, true);
    }

    /**
     * Says why a directory could not be written, and what to do, for errors raised before any event is involved
     * (opening the driver, creating a topic).
     *
     * @param e what the file system said
     * @return for example {@code "the file system is read-only (Read-only file system): remount it read-write, or
     *     use a directory on a writable file system"}
     */
    public static String whyUnwritable(Throwable e) {
        String os = reason(e);
        if (isReadOnly(os)) {
            return "the file system is read-only (" + os + "): remount it read-write, or use a directory on a writable"
                    + " file system";
        } else if (isNoSpace(os)) {
            return "the file system is full (" + os + "): free space on it, or use a directory on another file system";
        } else if (e instanceof java.nio.file.AccessDeniedException || os.contains("Permission denied")
                || os.contains("Operation not permitted")) {
            return "this process may not write there (" + os + "): give its user write permission on the directory"
                    + " (producers and consumers both write there: events, positions, leases)";
        } else if (isIoError(os)) {
            return "the device reported an I/O error (" + os + "): check the disk";
        }
        return os;
    }

    /** @return the operating system's reason of a file-system failure, without the path the JDK prepends */
    static String reason(Throwable e) {
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** @return true if the reason is ENOSPC or EDQUOT */
    static boolean isNoSpace(String reason) {
        return reason.contains("No space left on device") || reason.contains("Disk quota exceeded");
    }

    /** @return true if the reason is EIO */
    static boolean isIoError(String reason) {
        return reason.contains("Input/output error");
    }

    /** @return true if the reason is EROFS */
    static boolean isReadOnly(String reason) {
        return reason.contains("Read-only file system");
    }
}
