package io.tokensweeper.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three real scheduler nodes on one database, both jobs firing every second: each fire runs exactly once. */
class ClusterExactlyOnceTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    /** How many fire times of each job the test watches: enough for every node to have joined and fired some. */
    private static final int FIRE_TIMES = 20;

    private static long fireTimes(TestDatabase db, String job) {
        return db.queryLong("SELECT count(DISTINCT scheduled_at) FROM sweeper.cleanup_runs WHERE job = ?"
                + " AND trigger = 'cron'", job);
    }

    @Test
    void everyFireTimeRunsExactlyOnceAndRunsNeverOverlap() throws Exception {
        TestDatabase db = POSTGRES.database();
        new io.tokensweeper.db.Migrations(db.dataSource(), "sweeper").migrate();
        CleanupFactory cleanup = new CleanupFactory();
        cleanup.getRefreshTokens().setCron("* * * * * ?");
        cleanup.getPasswordResets().setCron("* * * * * ?");
        BatchSettings batch = new BatchSettings(1000, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofMinutes(1));
        // Doomed rows keep arriving, 50 every 100 ms, so runs have real work to do.
        AtomicLong inserted = new AtomicLong();
        ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
        ScheduledFuture<?> inserts = writer.scheduleWithFixedDelay(() -> {
            db.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                    + " SELECT gen_random_uuid(), md5(random()::text), now() - interval '1 day', false"
                    + " FROM generate_series(1, 50)");
            inserted.addAndGet(50);
        }, 0, 100, TimeUnit.MILLISECONDS);
        List<TestNode> nodes = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                nodes.add(new TestNode("node-" + i, POSTGRES.reconnect(db), cleanup, batch,
                        TestNode.fastCluster(), true).start());
            }
            await("each job has run " + FIRE_TIMES + " fire times").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> fireTimes(db, "refresh-tokens") >= FIRE_TIMES && fireTimes(db, "password-resets") >= FIRE_TIMES);
        } finally {
            if (inserts.isDone()) {
                inserts.get(); // a periodic task is done before its shutdown only if it threw: report why
            }
            writer.shutdown(); // lets an insert under way finish, starts no other
            assertThat(writer.awaitTermination(30, TimeUnit.SECONDS)).as("the writer stopped").isTrue();
            for (TestNode node : nodes) {
                node.close();
            }
        }

        for (String job : List.of("refresh-tokens", "password-resets")) {
            // Every second from the first fire time seen to the last ran: none was missed.
            assertThat(db.queryString("SELECT string_agg(s::text, ', ') FROM generate_series("
                    + " (SELECT min(scheduled_at) FROM sweeper.cleanup_runs WHERE job = ? AND trigger = 'cron'),"
                    + " (SELECT max(scheduled_at) FROM sweeper.cleanup_runs WHERE job = ? AND trigger = 'cron'),"
                    + " interval '1 second') s WHERE NOT EXISTS (SELECT 1 FROM sweeper.cleanup_runs r"
                    + " WHERE r.job = ? AND r.trigger = 'cron' AND r.scheduled_at = s)", job, job, job))
                    .as(job + " fire times missed").isNull();
            // ... and nothing else ran: each fire time is a whole second of that span (the count is the span's).
            assertThat(fireTimes(db, job)).as(job + " fire times, a second apart from the first to the last")
                    .isEqualTo(db.queryLong("SELECT extract(epoch FROM max(scheduled_at) - min(scheduled_at))::bigint + 1"
                            + " FROM sweeper.cleanup_runs WHERE job = ? AND trigger = 'cron'", job))
                    .isGreaterThanOrEqualTo(FIRE_TIMES);
            assertThat(db.queryLong("SELECT count(*) FROM (SELECT scheduled_at FROM sweeper.cleanup_runs"
                    + " WHERE job = ? AND trigger = 'cron' GROUP BY scheduled_at HAVING count(*) > 1) d", job))
                    .as(job + " fire times run more than once").isZero();
            assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs a JOIN sweeper.cleanup_runs b"
                    + " ON a.job = b.job AND a.id < b.id AND b.started_at < a.finished_at AND a.started_at < b.finished_at"
                    + " WHERE a.job = ?", job)).as(job + " overlapping runs").isZero();
        }
        assertThat(db.queryString("SELECT string_agg(DISTINCT status, ',') FROM sweeper.cleanup_runs"))
                .isEqualTo("succeeded");
        // Quartz does not promise to spread runs over nodes, only to run each fire once: report, don't assert.
        System.out.println("runs per node: " + db.queryString("SELECT string_agg(node_id || '=' || n, ', ')"
                + " FROM (SELECT node_id, count(*) n FROM sweeper.cleanup_runs GROUP BY node_id ORDER BY node_id) c"));
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.qrtz_triggers WHERE trigger_state IN"
                + " ('BLOCKED', 'ACQUIRED') AND trigger_name LIKE '%-cron'")).isZero();
        // Every row that went was counted by exactly one run, and the runs had work to do.
        long deleted = db.queryLong("SELECT sum(rows_deleted) FROM sweeper.cleanup_runs WHERE job = 'refresh-tokens'");
        assertThat(deleted).isPositive()
                .isEqualTo(inserted.get() - db.queryLong("SELECT count(*) FROM public.refresh_tokens"));
    }
}
