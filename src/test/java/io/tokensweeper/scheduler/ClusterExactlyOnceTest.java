package io.tokensweeper.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three real scheduler nodes on one database, both jobs firing every second: each fire runs exactly once. */
class ClusterExactlyOnceTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @Test
    void everyFireTimeRunsExactlyOnceAndRunsNeverOverlap() throws Exception {
        TestDatabase db = POSTGRES.database();
        new io.tokensweeper.db.Migrations(db.dataSource(), "sweeper").migrate();
        CleanupFactory cleanup = new CleanupFactory();
        cleanup.getRefreshTokens().setCron("* * * * * ?");
        cleanup.getPasswordResets().setCron("* * * * * ?");
        BatchSettings batch = new BatchSettings(1000, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofMinutes(1));
        // Doomed rows keep arriving, so runs have real work to do.
        Thread writer = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    db.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                            + " SELECT gen_random_uuid(), md5(random()::text), now() - interval '1 day', false"
                            + " FROM generate_series(1, 50)");
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<TestNode> nodes = new ArrayList<>();
        writer.start();
        try {
            for (int i = 1; i <= 3; i++) {
                nodes.add(new TestNode("node-" + i, POSTGRES.reconnect(db), cleanup, batch,
                        TestNode.fastCluster(), true).start());
            }
            Thread.sleep(22_000);
        } finally {
            writer.interrupt();
            writer.join();
            for (TestNode node : nodes) {
                node.close();
            }
        }

        for (String job : List.of("refresh-tokens", "password-resets")) {
            assertThat(db.queryLong("SELECT count(DISTINCT scheduled_at) FROM sweeper.cleanup_runs"
                    + " WHERE job = ? AND trigger = 'cron'", job)).as(job + " fire times").isGreaterThanOrEqualTo(18);
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
        assertThat(db.queryLong("SELECT sum(rows_deleted) FROM sweeper.cleanup_runs WHERE job = 'refresh-tokens'"))
                .isGreaterThan(5_000);
    }
}
