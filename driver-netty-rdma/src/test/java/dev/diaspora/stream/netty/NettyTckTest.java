package dev.diaspora.stream.netty;

import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.tck.CrashableMember;
import dev.diaspora.stream.tck.DriverTck;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The whole TCK against one partition server on loopback, shared by the tests of this class. */
class NettyTckTest extends DriverTck {
    @TempDir
    static Path serverRoot;
    private static Servers servers;

    @BeforeAll
    static void startServer() {
        servers = Servers.start(serverRoot, 1);
    }

    @AfterAll
    static void stopServer() {
        servers.close();
    }

    @Override
    protected String driverName() {
        return "netty";
    }

    @Override
    protected Metadata driverOptions(Path dir) {
        return servers.driverOptions();
    }

    /** Retention drops whole segments on the server: small ones, rolled after a second, make it visible. */
    @Override
    public String retentionTopicOptions() {
        return ",\"segment_size\":65536,\"segment.ms\":1000";
    }

    /** A member whose connections go through proxies that a crash closes (see {@link CrashableNettyMember}). */
    @Override
    public CrashableMember crashableMember(String topicName, ConsumerOptions options) {
        return CrashableNettyMember.open(currentDriverOptions(), topicName, options);
    }
}
