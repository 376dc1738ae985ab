package dev.diaspora.stream.netty;

import java.nio.file.Path;

/**
 * A partition server alone in a JVM, for tests that kill it: starts on loopback with the given root and port (0: any
 * free port), prints {@code READY <port>} and serves until the process ends.
 */
public final class ServerMain {
    private ServerMain() {
    }

    /** @param args root path, port */
    public static void main(String[] args) throws InterruptedException {
        PartitionServer server = PartitionServer.builder().host("127.0.0.1").port(Integer.parseInt(args[1]))
                .rootPath(Path.of(args[0])).ioThreads(1).workerThreads(2).start();
        System.out.println("READY " + server.port());
        System.out.flush();
        server.awaitClose();
    }
}
