package dev.diaspora.stream.files;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's one source of file-change events for the tail watchers: a single JDK {@link WatchService} (inotify on
 * Linux: one inotify instance and the JDK's poller thread) plus one dispatcher thread ({@code diaspora-files-events},
 * a daemon that blocks until the kernel reports a change). Every {@link TailWatcher} of the JVM subscribes its
 * directories here, so that any number of topics and consumers share one instance (the kernel allows 128 per user by
 * default). An idle subscriber costs no CPU: nothing wakes until a file in a watched directory is written. The
 * instance exists while it has subscriptions: the last one closed closes the watch service, whose threads then end
 * (so that no library thread outlives the drivers that use it); the next subscription makes a new one.
 *
 * <p>Used only where the events are complete: on Linux, for directories on local file systems, where the kernel
 * reports every {@code write} of any process on the host. Network file systems (NFS, Lustre, GPFS, BeeGFS, CIFS,
 * FUSE) report only the writes of this host, and other platforms' watch services poll; there {@link #covers}
 * returns false and the tail watcher polls. The system property {@code diaspora.files.inotify=false} turns the events
 * off (the watchers then poll everywhere).
 *
 * <p>Writers must append with {@code write} calls (as the drivers' writers do): stores through a shared memory mapping
 * raise no event.
 *
 * <p>Thread safety: thread-safe. Listeners run on the dispatcher thread and must not block.
 */
final class DirectoryEvents {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryEvents.class);
    /** The system property that turns directory events off ({@code false}); read when a watcher starts. */
    static final String PROPERTY = "diaspora.files.inotify";
    /** File system types (as {@code /proc/mounts} names them) whose change events include other processes' writes. */
    private static final Set<String> LOCAL = Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "zfs",
            "f2fs", "bcachefs", "jfs", "reiserfs", "nilfs2", "overlay");

    private static DirectoryEvents shared; // guarded by DirectoryEvents.class; null while nobody subscribes

    /** Receives the changes of a watched directory. */
    interface Listener {
        /** @return true if a change of the file {@code name} (in the watched directory) should {@link #signal()} */
        boolean wants(String name);

        /** Called (at most once per batch of kernel events) when a wanted file changed, or events were lost. */
        void signal();
    }

    /** One listener's subscription to one directory. Closing it twice is harmless. */
    final class Subscription implements AutoCloseable {
        private final WatchKey key;
        private final Listener listener;

        private Subscription(WatchKey key, Listener listener) {
            this.key = key;
            this.listener = listener;
        }

        @Override
        public void close() {
            synchronized (DirectoryEvents.class) {
                List<Listener> ls = listeners.get(key);
                if (ls != null && ls.remove(listener) && ls.isEmpty()) {
                    listeners.remove(key);
                    key.cancel(); // the last subscriber of this directory: the kernel stops watching it
                    if (listeners.isEmpty() && shared == DirectoryEvents.this) {
                        shared = null;
                        closeService(); // the threads end; the next subscription starts a new instance
                    }
                }
            }
        }
    }

    private final WatchService service;
    /** Subscribers per watched directory (the JDK gives one key per directory, however often it is registered). */
    private final Map<WatchKey, List<Listener>> listeners = new ConcurrentHashMap<>(); // changed under the class lock

    private DirectoryEvents(WatchService service) {
        this.service = service;
        Thread t = new Thread(this::dispatch, "diaspora-files-events");
        t.setDaemon(true);
        t.start();
    }

    /**
     * @return true if change events of {@code dir} reach this JVM from every process that writes there (Linux, a local
     *     file system, events not turned off); if not, the caller must poll
     */
    static boolean covers(Path dir) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))
                || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return false;
        }
        try {
            return LOCAL.contains(Files.getFileStore(dir).type());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Watches {@code dir} (creations and writes of the files in it) for {@code listener}, through the JVM's instance
     * (made if there is none).
     *
     * @throws IOException if the directory cannot be watched (it vanished, or the user's inotify instances or watches
     *     are used up: {@code /proc/sys/fs/inotify/max_user_instances}, {@code max_user_watches})
     */
    static Subscription subscribe(Path dir, Listener listener) throws IOException {
        synchronized (DirectoryEvents.class) {
            if (shared == null) {
                shared = new DirectoryEvents(FileSystems.getDefault().newWatchService());
            }
            DirectoryEvents events = shared;
            WatchKey key;
            try {
                key = dir.register(events.service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
            } catch (IOException | RuntimeException e) {
                if (events.listeners.isEmpty()) {
                    shared = null;
                    events.closeService();
                }
                throw e;
            }
            events.listeners.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(listener);
            return events.new Subscription(key, listener);
        }
    }

    private void closeService() {
        try {
            service.close();
        } catch (IOException e) {
            LOG.debug("closing the watch service", e);
        }
    }

    private void dispatch() {
        while (true) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException e) {
                continue; // nobody interrupts this thread on purpose; it serves the whole JVM
            } catch (ClosedWatchServiceException e) {
                return;
            }
            List<WatchEvent<?>> events = key.pollEvents();
            key.reset();
            List<Listener> ls = listeners.get(key);
            if (ls == null) {
                continue; // cancelled meanwhile
            }
            for (Listener l : ls) {
                try {
                    if (wanted(l, events)) {
                        l.signal();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("files driver: a tail watcher failed on a file change event", e);
                }
            }
        }
    }

    private static boolean wanted(Listener l, List<WatchEvent<?>> events) {
        for (WatchEvent<?> e : events) {
            if (e.kind() == StandardWatchEventKinds.OVERFLOW || e.context() == null
                    || l.wants(e.context().toString())) {
                return true; // events were lost (the kernel's or the JDK's queue overflowed): assume the worst
            }
        }
        return false;
    }
}
