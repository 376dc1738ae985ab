package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The administrative connection's short reads are subscriptions, and RabbitMQ 3.10.8 keeps an ended subscription's
 * file open until the connection's server process collects garbage (a topic handle reads its topic record every
 * 250 ms): the connection is replaced after {@link StreamAdmin#RENEW_AFTER_READS} reads, and reads running on the old
 * one while it is replaced finish on it before it closes.
 */
@Timeout(120)
class StreamAdminRenewTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rrenew");

    @Test
    void theConnectionIsReplacedAfterItsReadsAndReadsAcrossTheChangeSucceed() throws Exception {
        String name = TOPICS.prefix + "renew";
        try (RabbitBackend backend = new RabbitBackend(RabbitServer.config())) {
            RabbitServer.createOnePartitionTopic(backend, name);
            StreamAdmin admin = backend.admin;
            String config = RabbitBackend.configStream(name);
            int reads = 3 * StreamAdmin.RENEW_AFTER_READS;
            long before = admin.connections();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<StreamAdmin.Tail>> tails = new ArrayList<>();
                for (int i = 0; i < reads; i++) {
                    tails.add(pool.submit(() -> admin.tail(config))); // four at a time: some run across a change
                }
                for (Future<StreamAdmin.Tail> t : tails) {
                    assertNotNull(t.get(60, TimeUnit.SECONDS), "the config stream's last chunk");
                }
            } finally {
                pool.shutdownNow();
            }
            long opened = admin.connections() - before;
            assertTrue(opened >= 2 && opened <= 4, reads + " reads opened " + opened + " connections; expected 2-4 ("
                    + "one per " + StreamAdmin.RENEW_AFTER_READS + " reads)");
            assertEquals(0, admin.retiredStillOpen(), "replaced connections are closed once their reads end");
        }
    }
}
