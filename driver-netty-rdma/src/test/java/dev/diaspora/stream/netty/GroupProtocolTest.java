package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.netty.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group requests (JOIN, HEARTBEAT, LEAVE, MEMBERS) on raw sockets against two partition servers: what a member
 * sees, when it ends (leave, connection closed, session timeout), and bad frames: unknown members get
 * ERROR(UNKNOWN_MEMBER) on a connection that stays usable; oversized ids and names and non-positive timeouts get
 * ERROR(BAD_FRAME) and that connection closes; the servers go on serving.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GroupProtocolTest {
    private static final String TOPIC = "groups";

    @TempDir
    static Path dir;
    private static Servers servers;
    /** The index in {@link #servers} of the server of partition 0 (the groups' coordinator) and of partition 1. */
    private static int[] ofPartition;

    @BeforeAll
    static void start() {
        servers = Servers.start(dir, 2);
        try (Driver d = Driver.open("netty", servers.driverOptions())) {
            d.createTopic(TOPIC, Metadata.of("{\"num_partitions\":2}")); // one partition on each server
        }
        List<String> ids = servers.list().stream().map(PartitionServer::serverId).toList();
        String first = Placement.creationRing(ids, TOPIC).get(0);
        ofPartition = new int[] {ids.indexOf(first), 1 - ids.indexOf(first)};
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    /** @return a client of the server of partition {@code partition} */
    private static RawClient client(int partition) {
        return RawClient.authenticated(servers.list().get(ofPartition[partition]).port(), "");
    }

    private static int open(RawClient c) {
        RawClient.Frame f = c.request(Protocol.OPEN_TOPIC, RawClient.payload(o -> RawClient.string(o, TOPIC)));
        assertEquals(Protocol.OK, f.type(), f::toString);
        return ByteBuffer.wrap(f.payload()).getInt();
    }

    private static RawClient.Frame join(RawClient c, int h, String consumer, int timeoutMs) {
        return c.request(Protocol.JOIN, RawClient.payload(o -> {
            o.writeInt(h);
            RawClient.string(o, consumer);
            o.writeInt(timeoutMs);
        }));
    }

    private static String joined(RawClient c, int h, String consumer, int timeoutMs) {
        RawClient.Frame f = join(c, h, consumer, timeoutMs);
        assertEquals(Protocol.OK, f.type(), f::toString);
        return string(ByteBuffer.wrap(f.payload()));
    }

    private static RawClient.Frame byId(RawClient c, int type, String id) {
        return c.request(type, RawClient.payload(o -> RawClient.string(o, id)));
    }

    private static List<String> members(RawClient c, int h, String consumer) {
        RawClient.Frame f = c.request(Protocol.MEMBERS, RawClient.payload(o -> {
            o.writeInt(h);
            RawClient.string(o, consumer);
        }));
        assertEquals(Protocol.OK, f.type(), f::toString);
        ByteBuffer b = ByteBuffer.wrap(f.payload());
        int n = b.getInt();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(string(b));
        }
        assertEquals(0, b.remaining(), "MEMBERS answer has no trailing bytes");
        return out;
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    /** Waits for a change the server makes asynchronously (a closed connection is noticed on its event loop). */
    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "not within 10 s: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void membersJoinHeartbeatAndLeave() {
        try (RawClient a = client(0); RawClient b = client(0)) {
            int ha = open(a);
            int hb = open(b);
            String m1 = joined(a, ha, "c1", 60_000);
            String m2 = joined(b, hb, "c1", 60_000);
            String other = joined(b, hb, "c2", 60_000);
            assertTrue(m1.matches("[0-9a-f]{16}"), m1);
            assertNotEquals(m1, m2);
            List<String> both = new ArrayList<>(List.of(m1, m2));
            both.sort(null);
            assertEquals(both, members(a, ha, "c1"), "sorted live members of c1, seen from any connection");
            assertEquals(List.of(other), members(a, ha, "c2"), "another name is another group");
            assertEquals(Protocol.OK, byId(a, Protocol.HEARTBEAT, m1).type());
            assertEquals(Protocol.OK, byId(a, Protocol.LEAVE, m1).type());
            assertEquals(List.of(m2), members(b, hb, "c1"));
        }
    }

    @Test
    void unknownMembersAreRefusedAndTheConnectionStays() {
        try (RawClient a = client(0); RawClient b = client(0)) {
            int ha = open(a);
            int hb = open(b);
            String mine = joined(a, ha, "unknown", 60_000);
            for (int type : new int[] {Protocol.HEARTBEAT, Protocol.LEAVE}) {
                RawClient.Frame f = byId(a, type, "0123456789abcdef");
                assertEquals(Protocol.E_UNKNOWN_MEMBER, f.errorKind(), f::toString);
                assertTrue(f.errorMessage().contains("unknown group member '0123456789abcdef'"), f.errorMessage());
                assertTrue(f.errorMessage().contains("join again"), f.errorMessage());
                // another connection's member is not this one's to heartbeat or end
                RawClient.Frame g = byId(b, type, mine);
                assertEquals(Protocol.E_UNKNOWN_MEMBER, g.errorKind(), g::toString);
            }
            assertEquals(Protocol.OK, byId(a, Protocol.LEAVE, mine).type());
            RawClient.Frame again = byId(a, Protocol.LEAVE, mine);
            assertEquals(Protocol.E_UNKNOWN_MEMBER, again.errorKind(), "a member that left is unknown: " + again);
            RawClient.Frame unknownHandle = join(a, 12345, "unknown", 1000);
            assertEquals(Protocol.E_GENERIC, unknownHandle.errorKind(), unknownHandle::toString);
            assertTrue(unknownHandle.errorMessage().contains("unknown topic handle 12345"),
                    unknownHandle.errorMessage());
            assertEquals(List.of(), members(a, ha, "unknown"), "the connection still serves after those errors");
        }
    }

    @Test
    void onlyTheServerOfPartitionZeroCoordinates() {
        try (RawClient c = client(1)) {
            int h = open(c);
            RawClient.Frame f = join(c, h, "c", 1000);
            assertEquals(Protocol.E_GENERIC, f.errorKind(), f::toString);
            assertTrue(f.errorMessage().contains("does not coordinate the groups of topic '" + TOPIC + "'"),
                    f.errorMessage());
            assertTrue(f.errorMessage().contains(servers.list().get(ofPartition[0]).serverId()),
                    "names the coordinator: " + f.errorMessage());
        }
    }

    @Test
    void badFramesAreRefusedAndCloseOnlyThatConnection() {
        String longName = "n".repeat(ServerGroups.MAX_CONSUMER_NAME + 1);
        String longId = "f".repeat(ServerGroups.MAX_MEMBER_ID + 1);
        List<String> cases = List.of("negative timeout", "zero timeout", "timeout above a day", "long name",
                "empty name", "long member id (heartbeat)", "long member id (leave)", "truncated member id",
                "trailing bytes", "long name (members)");
        for (String what : cases) {
            try (RawClient c = client(0)) {
                int h = open(c);
                byte[] payload;
                int type = Protocol.JOIN;
                switch (what) {
                    case "negative timeout": payload = joinPayload(h, "c", -1); break;
                    case "zero timeout": payload = joinPayload(h, "c", 0); break;
                    case "timeout above a day": payload = joinPayload(h, "c", 86_400_001); break;
                    case "long name": payload = joinPayload(h, longName, 1000); break;
                    case "empty name": payload = joinPayload(h, "", 1000); break;
                    case "long member id (heartbeat)":
                        type = Protocol.HEARTBEAT;
                        payload = RawClient.payload(o -> RawClient.string(o, longId));
                        break;
                    case "long member id (leave)":
                        type = Protocol.LEAVE;
                        payload = RawClient.payload(o -> RawClient.string(o, longId));
                        break;
                    case "truncated member id":
                        type = Protocol.HEARTBEAT;
                        payload = new byte[] {0, 16, 'a', 'b'};
                        break;
                    case "trailing bytes":
                        type = Protocol.HEARTBEAT;
                        payload = RawClient.payload(o -> {
                            RawClient.string(o, "0123456789abcdef");
                            o.writeByte(0);
                        });
                        break;
                    default:
                        type = Protocol.MEMBERS;
                        payload = RawClient.payload(o -> {
                            o.writeInt(h);
                            RawClient.string(o, longName);
                        });
                }
                RawClient.Frame f = c.request(type, payload);
                assertEquals(Protocol.E_BAD_FRAME, f.errorKind(), () -> what + ": " + f);
                assertTrue(f.errorMessage().startsWith("bad frame: "), what + ": " + f.errorMessage());
                assertTrue(c.read() == null, what + ": the server closes the connection after a bad frame");
            }
        }
        try (RawClient c = client(0)) {
            int h = open(c);
            String m = joined(c, h, "after-bad-frames", 60_000);
            assertEquals(List.of(m), members(c, h, "after-bad-frames"), "the server goes on serving");
        }
    }

    private static byte[] joinPayload(int h, String consumer, int timeoutMs) {
        return RawClient.payload(o -> {
            o.writeInt(h);
            RawClient.string(o, consumer);
            o.writeInt(timeoutMs);
        });
    }

    private static RawClient.Frame commit(RawClient c, int h, String consumer, int p, long position) {
        return c.request(Protocol.COMMIT, RawClient.payload(o -> {
            o.writeInt(h);
            RawClient.string(o, consumer);
            o.writeInt(1);
            o.writeInt(p);
            o.writeLong(position);
        }));
    }

    /** The fence of a member that lost a partition: only the connection holding a lease stores its positions. */
    @Test
    void onlyTheLeaseHolderStoresPositions() throws InterruptedException {
        try (RawClient a = client(0); RawClient b = client(0)) {
            int ha = open(a);
            int hb = open(b);
            RawClient.Frame lease = a.request(Protocol.LEASE, RawClient.payload(o -> {
                o.writeInt(ha);
                RawClient.string(o, "fenced");
                o.writeInt(0);
            }));
            assertEquals(Protocol.OK, lease.type(), lease::toString);
            long leaseId = ByteBuffer.wrap(lease.payload()).getLong();
            assertTrue(leaseId != 0, "the lease is free");
            RawClient.Frame refused = commit(b, hb, "fenced", 0, 5);
            assertEquals(Protocol.E_CONFLICT, refused.errorKind(), refused::toString);
            assertTrue(refused.errorMessage().contains("leased by another session of consumer 'fenced'"),
                    refused.errorMessage());
            assertEquals(Protocol.OK, commit(a, ha, "fenced", 0, 7).type(), "the holder stores");
            assertEquals(Protocol.OK, a.request(Protocol.RELEASE, RawClient.payload(o -> o.writeLong(leaseId)))
                    .type());
            assertEquals(Protocol.OK, commit(b, hb, "fenced", 0, 9).type(), "nobody holds it now: b may store"
                    + " (a tool, or a static consumer between sessions)");
            try (RawClient c = client(0)) {
                int hc = open(c);
                RawClient.Frame again = c.request(Protocol.LEASE, RawClient.payload(o -> {
                    o.writeInt(hc);
                    RawClient.string(o, "fenced");
                    o.writeInt(0);
                }));
                assertTrue(ByteBuffer.wrap(again.payload()).getLong() != 0, "released: c takes the lease");
            }
            // c's connection closed: its lease went with it, and b may store again
            await(() -> commit(b, hb, "fenced", 0, 11).type() == Protocol.OK, "the lease of a closed connection"
                    + " no longer fences");
        }
    }

    @Test
    void aClosedConnectionEndsItsMembers() throws InterruptedException {
        try (RawClient watcher = client(0)) {
            int hw = open(watcher);
            String gone;
            try (RawClient a = client(0)) {
                int ha = open(a);
                gone = joined(a, ha, "closing", 60_000);
                assertEquals(List.of(gone), members(watcher, hw, "closing"));
            }
            await(() -> members(watcher, hw, "closing").isEmpty(), "the member of a closed connection is removed");
            assertEquals(Protocol.E_UNKNOWN_MEMBER, byId(watcher, Protocol.HEARTBEAT, gone).errorKind());
        }
    }

    @Test
    void aMemberWithoutHeartbeatsDropsOutAndAHeartbeatBringsItBack() throws InterruptedException {
        try (RawClient a = client(0)) {
            int h = open(a);
            String quiet = joined(a, h, "quiet", 200);
            String busy = joined(a, h, "quiet", 60_000);
            await(() -> members(a, h, "quiet").equals(List.of(busy)), "a member silent past its 200 ms session"
                    + " timeout drops out of MEMBERS");
            // its connection lives: it may heartbeat again, and is then live (until its timeout passes again)
            await(() -> byId(a, Protocol.HEARTBEAT, quiet).type() == Protocol.OK
                    && members(a, h, "quiet").contains(quiet), "a heartbeat makes it live again");
        }
    }
}
