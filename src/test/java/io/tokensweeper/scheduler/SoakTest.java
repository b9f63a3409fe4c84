package io.tokensweeper.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.db.Migrations;
import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Opt-in (tag "soak"): a two-node pair for {@code -Dsoak.minutes} minutes (default 5), both jobs on a
 * cron every 3 s, under a steady insert load. No fire time runs twice, none is missed, no trigger is
 * left stuck, and memory stays flat. Run it with:
 * {@code mvn -B verify -Dtest.excludedGroups= -Dtest=SoakTest -Dit.test=NONE -Dsoak.minutes=10}
 */
// Nodes started in try-with-resources run for the block's scope without being referenced in it.
@SuppressWarnings("try")
@Tag("soak")
class SoakTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @Test
    void aPairRunsForMinutesWithoutADuplicateAMissOrAStuckTrigger() throws Exception {
        TestDatabase db = POSTGRES.database();
        new Migrations(db.dataSource(), "sweeper").migrate();
        Duration soak = Duration.ofMinutes(Long.getLong("soak.minutes", 5));
        CleanupFactory cleanup = new CleanupFactory();
        cleanup.getRefreshTokens().setCron("0/3 * * * * ?");
        cleanup.getPasswordResets().setCron("1/3 * * * * ?");
        BatchSettings batch = new BatchSettings(1000, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofMinutes(1));
        // A steady load: 100 rows every 50 ms until it is shut down.
        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "soak-load"));
        long heapBefore;
        Instant startedAt;
        Instant endedAt;
        try (TestNode a = new TestNode("soak-a", POSTGRES.reconnect(db), cleanup, batch, TestNode.fastCluster(), true).start();
             TestNode b = new TestNode("soak-b", POSTGRES.reconnect(db), cleanup, batch, TestNode.fastCluster(), true).start()) {
            ScheduledFuture<?> inserts = load.scheduleWithFixedDelay(() -> db.execute(
                    "INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                            + " SELECT gen_random_uuid(), md5(random()::text), now() + (random() - 0.5) * interval '2 seconds',"
                            + " random() < 0.1 FROM generate_series(1, 100)"), 0, 50, TimeUnit.MILLISECONDS);
            // Warmed up once each job has run ten fire times (30 s of its schedule) under the load.
            await("ten fire times of each job").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> cronFireTimes(db, "refresh-tokens") >= 10 && cronFireTimes(db, "password-resets") >= 10);
            heapBefore = usedHeapAfterGc();
            startedAt = Instant.now();
            // Time passes on purpose: the soak lasts its full length, and all along no run fails and no fire
            // time runs twice.
            await("a clean soak").during(soak).atMost(soak.plusMinutes(1))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(5))
                    .until(() -> !inserts.isDone()
                            && db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs"
                                    + " WHERE status NOT IN ('succeeded', 'running')") == 0
                            && db.queryLong("SELECT count(*) FROM (SELECT 1 FROM sweeper.cleanup_runs"
                                    + " WHERE trigger = 'cron' GROUP BY job, scheduled_at HAVING count(*) > 1) d") == 0);
            endedAt = Instant.now();
            long heapAfter = usedHeapAfterGc();
            System.out.printf("soak %s: heap after GC %d MiB at start, %d MiB at end%n", soak,
                    heapBefore >> 20, heapAfter >> 20);
            assertThat(heapAfter - heapBefore).as("heap growth in bytes").isLessThan(64L << 20);
        } finally {
            load.shutdown(); // lets an insert under way finish, starts no other
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).as("the load stopped").isTrue();
        }

        for (String job : new String[] {"refresh-tokens", "password-resets"}) {
            long expected = Duration.between(startedAt, endedAt).toSeconds() / 3; // the soak and a last poll
            long fired = db.queryLong("SELECT count(DISTINCT scheduled_at) FROM sweeper.cleanup_runs WHERE job = ?"
                    + " AND trigger = 'cron' AND scheduled_at BETWEEN ? AND ?", job,
                    java.sql.Timestamp.from(startedAt), java.sql.Timestamp.from(endedAt));
            assertThat(fired).as(job + " fire times in the window").isBetween(expected - 1, expected + 1);
            assertThat(db.queryLong("SELECT count(*) FROM (SELECT 1 FROM sweeper.cleanup_runs WHERE job = ?"
                    + " AND trigger = 'cron' GROUP BY scheduled_at HAVING count(*) > 1) d", job)).as("duplicates").isZero();
        }
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE status <> 'succeeded'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.qrtz_triggers WHERE trigger_state IN"
                + " ('ACQUIRED', 'BLOCKED', 'ERROR')")).as("stuck triggers").isZero();
    }

    private static long cronFireTimes(TestDatabase db, String job) {
        return db.queryLong("SELECT count(DISTINCT scheduled_at) FROM sweeper.cleanup_runs WHERE job = ?"
                + " AND trigger = 'cron'", job);
    }

    /** The heap in use once collections stop freeing anything: two readings after a GC within 1 MiB. */
    private static long usedHeapAfterGc() {
        AtomicLong previous = new AtomicLong(-1);
        await("the heap settles after GC").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    System.gc();
                    long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                    return Math.abs(used - previous.getAndSet(used)) < (1L << 20);
                });
        return previous.get();
    }
}
