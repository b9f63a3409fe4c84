package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.tokensweeper.db.Jdbc;
import io.tokensweeper.purge.pacing.Pacer;
import io.tokensweeper.purge.pacing.PacingSettings;
import io.tokensweeper.testing.LogCapture;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Pacing in whole runs: the purge notices the sessions it blocks, slows down, and still deletes exactly the doomed rows. */
class PacingPurgeTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final CleanupFactory CONFIG =
            PurgeFixture.refreshTokensOnly("public", "refresh_tokens", "expires_at", "revoked");
    /** The test's key for the gate a DELETE trigger waits at. */
    private static final long GATE = 4242;

    /** Every way a run deletes: each paces itself. */
    enum Way {
        HEAP(PurgeMethod.HEAP, 1), INDEX(PurgeMethod.INDEX, 1), HEAP_3_WORKERS(PurgeMethod.HEAP, 3);

        final PurgeMethod method;
        final int workers;

        Way(PurgeMethod method, int workers) {
            this.method = method;
            this.workers = workers;
        }
    }

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    @BeforeEach
    void freshTable() {
        POSTGRES.database().execute("""
                DROP TABLE IF EXISTS public.refresh_tokens CASCADE;
                CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, tag text NOT NULL,
                  expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false);
                CREATE INDEX ON public.refresh_tokens (expires_at);
                CREATE INDEX ON public.refresh_tokens (expires_at) WHERE revoked;
                TRUNCATE sweeper.cleanup_runs;
                """);
    }

    /**
     * The run's first statement deletes the first rows (of the heap, or of the expiry index: the groups below were
     * inserted at different times), among them rows 5 and 11; row 11's AFTER DELETE trigger then waits, at the end
     * of the statement, for a gate the test holds. Meanwhile the auth service
     * updates row 5, which the open batch has deleted: it waits on the purge. The test opens the gate; the batch's
     * probe, before its commit, sees the waiter, and the run slows down (a log line, paused time) and later
     * recovers. Every doomed row goes, every live row stays. (An AFTER trigger, and batches of 1,000 rows, so that
     * the first statement commits whichever way the engine deletes a range: a BEFORE trigger, or a one-scan DELETE
     * of more than batch.size rows, is rolled back and redone.)
     */
    @ParameterizedTest
    @EnumSource(Way.class)
    void aSessionBlockedOnThePurgesRowLockSlowsTheRunDownWhichStillDeletesExactlyTheDoomedRows(Way way)
            throws Exception {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.seedTokens(db, "early", 10, true);
        PurgeFixture.seedTokens(db, "gate", 1, true);
        PurgeFixture.seedTokens(db, "doomed", 30_000, true);
        PurgeFixture.seedTokens(db, "live", 200, false);
        PurgeFixture.seedTokens(db, "doomed", 30_000, true);
        db.execute("""
                CREATE OR REPLACE FUNCTION public.wait_at_gate() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF OLD.tag = 'gate' THEN PERFORM pg_advisory_xact_lock_shared(%d); END IF;
                  RETURN OLD;
                END $$;
                CREATE TRIGGER wait_at_gate AFTER DELETE ON public.refresh_tokens
                  FOR EACH ROW EXECUTE FUNCTION public.wait_at_gate();
                """.formatted(GATE));
        // The trigger's wait must outlast the test's steps, not meet lock_timeout. Batch latency is not watched
        // here: on a busy test machine it could slow the run down on its own (PacingControlTest covers it).
        BatchSettings batch = new BatchSettings(1_000, Duration.ZERO, Duration.ofSeconds(60), Duration.ofSeconds(120),
                Duration.ofMinutes(5)).withMethod(Optional.of(way.method)).withWorkers(way.workers)
                .withPacing(PacingSettings.DEFAULT.withLatencyFactor(0));
        PurgeService service = PurgeFixture.start(db, CONFIG, batch);

        PurgeResult result;
        List<String> log;
        try (LogCapture pacerLog = LogCapture.of(Pacer.class, Level.INFO);
             Connection gate = db.dataSource().getConnection(); Connection auth = db.dataSource().getConnection()) {
            Jdbc.execute(gate, "SELECT pg_advisory_lock(?)", GATE);
            CompletableFuture<PurgeResult> run = CompletableFuture.supplyAsync(
                    () -> service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)));
            int purgePid = await().atMost(Duration.ofSeconds(60)).until(() -> (int) db.queryLong(
                    "SELECT coalesce(max(pid), 0) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                            + " AND objid = ?::bigint::oid", GATE), pid -> pid > 0);

            CompletableFuture<Integer> revoke = CompletableFuture.supplyAsync(() -> {
                try {
                    return Jdbc.update(auth, "UPDATE public.refresh_tokens SET revoked = true WHERE id = 5");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(60)).until(() -> db.queryLong("SELECT count(*) FROM pg_stat_activity"
                    + " WHERE ? = ANY (pg_blocking_pids(pid))", purgePid) == 1);
            Jdbc.execute(gate, "SELECT pg_advisory_unlock(?)", GATE);

            result = run.get(120, TimeUnit.SECONDS);
            assertThat(revoke.get(30, TimeUnit.SECONDS)).as("row 5 was deleted when the update went on").isZero();
            log = pacerLog.lines(Level.INFO);
        }

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.method()).isEqualTo(way.method);
        assertThat(result.rowsDeleted()).isEqualTo(60_011);
        assertThat(PurgeFixture.countTokens(db, "true")).isEqualTo(200);
        assertThat(PurgeFixture.countTokens(db, "tag = 'live' AND NOT revoked")).isEqualTo(200);
        assertThat(result.paused()).as(result.summary()).isPositive();
        assertThat(result.summary()).contains("(paused ");
        // A worker of a parallel run names itself: "Purge refresh-tokens run 7 worker 2 slows down: ...".
        String run = "Purge refresh-tokens run " + result.runId() + "( worker \\d)? ";
        assertThat(log).anySatisfy(line -> assertThat(line).matches(run
                + "slows down: 1 session waiting on the purge's locks; pausing \\d+ms between batches, up to 5s"));
        if (way.workers == 1) {
            // With workers, the others take the pieces while the slowed one pauses: the run may end before it recovers.
            assertThat(log).anySatisfy(line -> assertThat(line)
                    .matches(run + "is back to its normal pace: the signs passed \\(lock waiters\\) after .*"));
        }
    }

    /**
     * A probe the database user may not run: pg_blocking_pids revoked from PUBLIC (a user that may not read
     * pg_locks is refused at start and at each run, naming the grant: see the end). The lock-waiter probe, which
     * runs inside a batch's transaction, fails; it is given up for the run with one WARN, and the batch it failed
     * in still commits as one statement: the run neither fails nor goes row by row.
     */
    @Test
    void aLockProbeTheUserMayNotRunIsGivenUpWithoutFailingTheBatch() throws Exception {
        TestDatabase admin = POSTGRES.database();
        PurgeFixture.seedTokens(admin, "doomed", 500, true);
        PurgeFixture.seedTokens(admin, "live", 20, false);
        String role = "probe_blind";
        PurgeFixture.grantPurge(admin, role, "probe-blind-pw");
        PurgeResult result;
        List<String> warnings;
        try (LogCapture pacerLog = LogCapture.of(Pacer.class, Level.WARN);
             TestDatabase blind = new TestDatabase(admin.url(), role, "probe-blind-pw")) {
            PurgeService service = PurgeFixture.start(blind, CONFIG, PurgeFixture.SMALL_BATCHES);
            admin.execute("REVOKE EXECUTE ON FUNCTION pg_catalog.pg_blocking_pids(integer) FROM PUBLIC");
            result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            admin.execute("REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC");

            assertThatThrownBy(() -> PurgeFixture.start(blind, CONFIG, PurgeFixture.SMALL_BATCHES))
                    .isInstanceOf(TargetConfigurationException.class)
                    .hasMessage("database.user: database user " + role + " may not read pg_catalog.pg_locks (this"
                            + " server revoked it from PUBLIC, which PostgreSQL grants it to); token-sweeper reads it to"
                            + " tell whether a purge of public.refresh_tokens is running and who holds the locks its"
                            + " DELETEs wait for: GRANT SELECT ON pg_catalog.pg_locks TO \"" + role + "\"");
            warnings = pacerLog.lines(Level.WARN);
        } finally {
            admin.execute("GRANT SELECT ON pg_catalog.pg_locks TO PUBLIC;"
                    + " GRANT EXECUTE ON FUNCTION pg_catalog.pg_blocking_pids(integer) TO PUBLIC");
            PurgeFixture.revokePurge(admin, role);
        }

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(500);
        assertThat(PurgeFixture.countTokens(admin, "true")).isEqualTo(20);
        // 500 rows at batch.size 100; row by row they would be 500 batches.
        assertThat(result.batches()).as(result.summary()).isLessThanOrEqualTo(10);
        assertThat(warnings).singleElement().satisfies(line -> assertThat(line).startsWith("Purge refresh-tokens run "
                        + result.runId() + ": pacing could not read the sessions waiting on its locks (")
                        .contains("permission denied").endsWith("); for the rest of the run it does not watch them"));
    }

    /**
     * With a WAL budget the run's WAL, read by the test from the server's WAL position before and after the run,
     * over the run's wall time, stays within the budget: an independent measure of what the pacer meters batch by
     * batch. The run writes several times the budget's second (full-page images after a checkpoint), which it
     * would write in well under a second unpaced, so a budget not kept fails here. Each worker keeps to its share.
     * maxPause is shorter than the pauses the budget needs: they are taken in steps, each re-reading the WAL.
     */
    @ParameterizedTest
    @EnumSource(Way.class)
    void aWalBudgetKeepsTheRunsWalRateWithinIt(Way way) {
        TestDatabase db = POSTGRES.database();
        db.execute("ALTER TABLE public.refresh_tokens SET (autovacuum_enabled = false)");
        for (int i = 0; i < 3; i++) {
            PurgeFixture.seedTokens(db, "doomed", 10_000, true);
            PurgeFixture.seedTokens(db, "live", 1_000, false);
        }
        long budget = 512 * 1024; // below what config.yml accepts (1MiB): a shorter test, the same metering
        BatchSettings batch = PurgeFixture.SMALL_BATCHES.withSize(1_000).withMethod(Optional.of(way.method))
                .withWorkers(way.workers).withPacing(PacingSettings.DEFAULT.withLatencyFactor(0)
                        .withMaxWalPerSecond(budget).withMaxPause(Duration.ofMillis(100)));
        PurgeService service = PurgeFixture.start(db, CONFIG, batch);
        db.execute("CHECKPOINT");
        String walBefore = db.queryString("SELECT pg_current_wal_insert_lsn()::text");
        long began = System.nanoTime();
        PurgeResult result;
        List<String> log;
        try (LogCapture pacerLog = LogCapture.of(Pacer.class, Level.INFO)) {
            result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            log = pacerLog.lines();
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        long walBytes = db.queryLong("SELECT (pg_current_wal_insert_lsn() - ?::pg_lsn)::bigint", walBefore);

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.method()).isEqualTo(way.method);
        assertThat(result.rowsDeleted()).isEqualTo(30_000);
        assertThat(PurgeFixture.countTokens(db, "true")).isEqualTo(3_000);
        assertThat(PurgeFixture.countTokens(db, "tag = 'live'")).isEqualTo(3_000);
        assertThat(walBytes).as("WAL the run wrote").isGreaterThan(2 * budget);
        assertThat(walBytes / seconds).as("%d bytes of WAL in %.2f s (%s)", walBytes, seconds, result.summary())
                .isLessThanOrEqualTo(budget * 1.1);
        if (way.workers == 1) {
            // Not paused far more than the budget needs either (measured: 0.94 of it; workers, which count each
            // other's WAL only roughly, 0.6).
            assertThat(walBytes / seconds).as("%d bytes of WAL in %.2f s", walBytes, seconds)
                    .isGreaterThan(budget * 0.25);
        }
        assertThat(result.paused()).as(result.summary()).isPositive();
        String run = "Purge refresh-tokens run " + result.runId() + "( worker \\d)? ";
        String share = way.workers == 1 ? "512 KiB" : "170.7 KiB";
        assertThat(log).anySatisfy(line -> assertThat(line)
                .matches(run + "keeps to " + share + " of WAL a second \\(cleanup.pacing.maxWalPerSecond\\): it wrote"
                        + " .* since its last pause; pausing .*, and so after each batch as needed"));
    }

    /**
     * A WAL budget reads the server's WAL position around each batch; a database user that may not (EXECUTE on
     * pg_current_wal_insert_lsn revoked from PUBLIC) is refused at start, naming the grant, rather than have the
     * budget given up in every run.
     */
    @Test
    void aWalBudgetTheUserMayNotMeterIsRefusedAtStart() {
        TestDatabase admin = POSTGRES.database();
        String role = "wal_blind";
        PurgeFixture.grantPurge(admin, role, "wal-blind-pw");
        BatchSettings batch = PurgeFixture.SMALL_BATCHES.withPacing(PacingSettings.DEFAULT
                .withMaxWalPerSecond(32L * 1024 * 1024));
        try (TestDatabase blind = new TestDatabase(admin.url(), role, "wal-blind-pw")) {
            PurgeFixture.start(blind, CONFIG, batch);
            admin.execute("REVOKE EXECUTE ON FUNCTION pg_catalog.pg_current_wal_insert_lsn() FROM PUBLIC");

            assertThatThrownBy(() -> PurgeFixture.start(blind, CONFIG, batch))
                    .isInstanceOf(TargetConfigurationException.class)
                    .hasMessage("cleanup.pacing.maxWalPerSecond: database user " + role + " may not execute"
                            + " pg_catalog.pg_current_wal_insert_lsn() (this server revoked it from PUBLIC), which the"
                            + " WAL budget reads around each batch: GRANT EXECUTE ON FUNCTION"
                            + " pg_catalog.pg_current_wal_insert_lsn() TO \"" + role + "\", or set maxWalPerSecond: 0");
            // Without a budget the same user purges as before.
            PurgeFixture.start(blind, CONFIG, PurgeFixture.SMALL_BATCHES);
        } finally {
            admin.execute("GRANT EXECUTE ON FUNCTION pg_catalog.pg_current_wal_insert_lsn() TO PUBLIC");
            PurgeFixture.revokePurge(admin, role);
        }
    }

    /** With pacing off the run pauses batch.pause and nothing more, and reads nothing but its batches. */
    @Test
    void withPacingOffARunPausesOnlyBatchPause() {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.seedTokens(db, "doomed", 500, true);
        BatchSettings batch = PurgeFixture.SMALL_BATCHES.withPause(Duration.ofMillis(20))
                .withPacing(PacingSettings.OFF);
        PurgeService service = PurgeFixture.start(db, CONFIG, batch);

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(500);
        // One pause after each statement, each about batch.pause (a sleep may overshoot, never fall short).
        assertThat(result.paused()).as(result.summary()).isBetween(Duration.ofMillis(20L * result.batches()),
                Duration.ofMillis(20L * result.batches() + 2_000));
    }
}
