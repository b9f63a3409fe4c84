package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.testing.NodeProcess;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HA pair of real node processes from the jar. A slow purge runs on one of them; then that node is
 * killed (SIGKILL) or frozen (SIGSTOP) past the cluster's check-in interval. The survivor must finish
 * the purge; two purges of the table must never run at once; nothing live is ever deleted.
 */
class CrashRecoveryIT {
    static final Map<String, String> OVERRIDES = Map.of(
            "scheduler.checkinInterval", "1s",
            "cleanup.batch.size", "200",
            "cleanup.batch.pause", "25ms");
    static final int DOOMED = 60_000;
    static final int LIVE = 5_000;

    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @TempDir
    Path logs;

    private NodeProcess a;
    private NodeProcess b;

    @BeforeEach
    void startPair() throws Exception {
        TestDatabase db = POSTGRES.database();
        new io.tokensweeper.db.Migrations(db.dataSource(), "sweeper").migrate();
        db.execute("TRUNCATE public.refresh_tokens, public.password_resets, sweeper.cleanup_runs");
        db.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                + " SELECT gen_random_uuid(), 'doomed' || i, now() - interval '1 day', i % 2 = 0"
                + " FROM generate_series(1, " + DOOMED + ") i");
        db.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                + " SELECT gen_random_uuid(), 'live' || i, now() + interval '1 day', false FROM generate_series(1, " + LIVE + ") i");
        a = NodeProcess.start("proc-a", db, OVERRIDES, logs);
        b = NodeProcess.start("proc-b", db, OVERRIDES, logs);
        a.awaitHealthy(Duration.ofSeconds(90));
        b.awaitHealthy(Duration.ofSeconds(90));
    }

    @AfterEach
    void stopPair() throws Exception {
        for (NodeProcess node : new NodeProcess[] {a, b}) {
            if (node.isAlive()) {
                node.thaw();
                node.stop(Duration.ofSeconds(30));
            }
            node.close();
        }
    }

    /** Starts a slow manual purge and returns the node running it, once it has deleted a few batches. */
    private NodeProcess startSlowPurgeOnSomeNode() throws Exception {
        TestDatabase db = POSTGRES.database();
        assertThat(a.post("/tasks/run-cleanup?job=refresh-tokens&wait=0").statusCode()).isEqualTo(202);
        await("the purge has deleted 3,000 rows").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> db.queryLong("SELECT count(*) FROM public.refresh_tokens") <= DOOMED + LIVE - 3_000);
        String runner = db.queryString("SELECT node_id FROM sweeper.cleanup_runs WHERE status = 'running'");
        return "proc-a".equals(runner) ? a : b;
    }

    private static String history(TestDatabase db) {
        return db.queryString("SELECT string_agg(trigger || '/' || node_id || '/' || status || '/'"
                + " || coalesce(error, ''), E'\\n' ORDER BY id) FROM sweeper.cleanup_runs");
    }

    @Test
    void aKilledNodesPurgeIsRecoveredByItsPeer() throws Exception {
        TestDatabase db = POSTGRES.database();
        NodeProcess runner = startSlowPurgeOnSomeNode();
        NodeProcess survivor = runner == a ? b : a;

        Instant killedAt = Instant.now();
        runner.kill();
        await("a recovery run has succeeded").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs"
                        + " WHERE trigger = 'recovery' AND status = 'succeeded'"))
                        .as(() -> history(db) + "\n" + survivor.tail()).isPositive());

        String history = history(db);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE trigger = 'recovery'"
                + " AND status = 'succeeded' AND node_id = ?", survivor.id)).as(history + "\n" + survivor.tail()).isEqualTo(1);
        long recoveredAfterMs = db.queryLong("SELECT (extract(epoch FROM started_at) * 1000)::bigint FROM"
                + " sweeper.cleanup_runs WHERE trigger = 'recovery'") - killedAt.toEpochMilli();
        System.out.printf("failover: the survivor started the recovery run %d ms after the kill%n", recoveredAfterMs);
        assertThat(recoveredAfterMs).as("check-in interval 1 s + Quartz's 7.5 s + a few").isLessThan(20_000);
        assertThat(db.queryString("SELECT status || ': ' || error FROM sweeper.cleanup_runs WHERE trigger = 'manual'"))
                .as(history).startsWith("interrupted: abandoned: the run ended without recording its end (its node died"
                        + " or lost the database)").endsWith("closed by node " + survivor.id);
        // The killed run's counts were written with each of its batches: with the recovery run's they add
        // up to exactly the rows that went, and the recovery run continued where the killed one stopped.
        long killedRunRows = db.queryLong("SELECT rows_deleted FROM sweeper.cleanup_runs WHERE trigger = 'manual'");
        assertThat(killedRunRows).as(history).isGreaterThanOrEqualTo(3_000);
        assertThat(db.queryLong("SELECT sum(rows_deleted) FROM sweeper.cleanup_runs")).as(history).isEqualTo(DOOMED);
        assertThat(survivor.log()).contains("continues where the last run stopped");
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE revoked OR expires_at < now()")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE token_hash LIKE 'live%'")).isEqualTo(LIVE);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.qrtz_fired_triggers WHERE instance_name = ?", runner.id))
                .isZero();
        assertThat(NodeProcess.get("http://127.0.0.1:" + survivor.adminPort + "/healthcheck").statusCode()).isEqualTo(200);
    }

    @Test
    void aFrozenNodeThatWakesUpNeverPurgesBesideItsPeer() throws Exception {
        TestDatabase db = POSTGRES.database();
        NodeProcess runner = startSlowPurgeOnSomeNode();
        NodeProcess survivor = runner == a ? b : a;

        runner.freeze();
        // Past the check-in interval plus Quartz's 7.5 s: the peer presumes the frozen node dead and recovers.
        await("the peer's recovery run has ended").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs"
                        + " WHERE trigger = 'recovery' AND status <> 'running'"))
                        .as(() -> history(db) + "\n" + survivor.tail()).isPositive());
        long rowsWhileFrozen = db.queryLong("SELECT count(*) FROM public.refresh_tokens");
        // Time passes on purpose: for a second after the recovery run gave up, the table stays as it is.
        await("nobody purges while the fence holder is frozen").during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> db.queryLong("SELECT count(*) FROM public.refresh_tokens") == rowsWhileFrozen);
        runner.thaw();
        await("the thawed node's purge has ended").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE status = 'running'") == 0);

        String history = history(db);
        System.out.println("history of the frozen-node scenario:\n" + history);
        assertThat(db.queryString("SELECT status || ': ' || error FROM sweeper.cleanup_runs WHERE trigger = 'recovery'"))
                .as(history).startsWith("failed: another purge of public.refresh_tokens is running, held by backend pid")
                .contains("token-sweeper-" + runner.id);
        assertThat(db.queryString("SELECT status FROM sweeper.cleanup_runs WHERE trigger = 'manual'")).as(history)
                .isEqualTo("succeeded");
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs a JOIN sweeper.cleanup_runs b"
                + " ON a.id < b.id AND b.started_at < a.finished_at AND a.started_at < b.finished_at"
                + " WHERE a.rows_deleted > 0 AND b.rows_deleted > 0")).as("overlapping purges").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE revoked OR expires_at < now()")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE token_hash LIKE 'live%'")).isEqualTo(LIVE);
        assertThat(survivor.isAlive() && runner.isAlive()).isTrue();
    }
}
