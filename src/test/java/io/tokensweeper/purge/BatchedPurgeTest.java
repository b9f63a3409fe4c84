package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Large purges: one transaction per batch, concurrent writers, shutdown and failures mid-run. */
class BatchedPurgeTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final CleanupFactory CONFIG =
            PurgeFixture.refreshTokensOnly("public", "refresh_tokens", "expires_at", "revoked");

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    @BeforeEach
    void freshTable() {
        POSTGRES.database().execute("""
                DROP TABLE IF EXISTS public.refresh_tokens;
                DROP TABLE IF EXISTS public.purge_statements;
                CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, tag text NOT NULL,
                  expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false);
                CREATE INDEX ON public.refresh_tokens (expires_at);
                TRUNCATE sweeper.cleanup_runs;
                """);
    }

    private static void seed(String tag, int rows, String expiresAt, boolean revoked) {
        POSTGRES.database().execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked)"
                + " SELECT '" + tag + "', " + expiresAt + ", " + revoked + " FROM generate_series(1, " + rows + ")");
    }

    @Test
    void purges200kRowsInOneShortTransactionPerBatch() {
        TestDatabase db = POSTGRES.database();
        seed("expired", 150_000, "now() - interval '1 day'", false);
        seed("revoked", 50_000, "now() + interval '1 day'", true);
        seed("live", 20_000, "now() + interval '1 day'", false);
        // Records every DELETE statement with its transaction id and how many rows it removed.
        db.execute("""
                CREATE TABLE public.purge_statements (xid bigint, deleted bigint);
                CREATE FUNCTION public.log_purge_statement() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO public.purge_statements SELECT txid_current(), count(*) FROM old_rows;
                  RETURN NULL;
                END $$;
                CREATE TRIGGER log_purge AFTER DELETE ON public.refresh_tokens
                  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.log_purge_statement();
                """);
        BatchSettings batch = PurgeFixture.SMALL_BATCHES.withSize(5_000);

        PurgeResult result = PurgeFixture.start(db, CONFIG, batch).run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(200_000);
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE tag = 'live'")).isEqualTo(20_000);
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(20_000);
        long statements = db.queryLong("SELECT count(*) FROM public.purge_statements");
        assertThat(statements).as("batches").isBetween(30L, 80L).isEqualTo(result.batches());
        assertThat(db.queryLong("SELECT count(DISTINCT xid) FROM public.purge_statements"))
                .as("one transaction per batch").isEqualTo(statements);
        assertThat(db.queryLong("SELECT max(deleted) FROM public.purge_statements"))
                .as("rows in the largest batch: about batch.size, never more").isBetween(2_500L, 5_000L);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs")).isEqualTo(1);
        assertThat(db.queryLong("SELECT rows_deleted FROM sweeper.cleanup_runs")).isEqualTo(200_000);
        assertThat(db.queryLong("SELECT batches FROM sweeper.cleanup_runs")).isEqualTo(result.batches());
        assertThat(db.queryString("SELECT status || '/' || trigger || '/' || node_id FROM sweeper.cleanup_runs"))
                .isEqualTo("succeeded/cli/test-node");
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE finished_at >= started_at"))
                .isEqualTo(1);
    }

    @Test
    void concurrentWritersKeepTheirLiveRowsAndDoomedOnesGoByTheNextRun() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("doomed-initial", 30_000, "now() - interval '1 day'", false);
        seed("live-initial", 10_000, "now() + interval '1 day'", false);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger liveInserted = new AtomicInteger();
        AtomicInteger revoked = new AtomicInteger();
        // About 2,000 rows a second: busy for an auth table, slow enough for a purge to catch up with. A rate,
        // not a wait: the inserts repeat with 20 ms between them until the writer is shut down.
        ScheduledExecutorService inserter = Executors.newSingleThreadScheduledExecutor();
        ScheduledFuture<?> inserts = inserter.scheduleWithFixedDelay(() -> {
            seed("live-concurrent", 20, "now() + interval '1 day'", false);
            seed("doomed-concurrent", 20, "now() - interval '1 second'", false);
            liveInserted.addAndGet(20);
        }, 0, 20, TimeUnit.MILLISECONDS);
        CompletableFuture<Void> revoker = CompletableFuture.runAsync(() -> {
            while (writing.get()) {
                long id = ThreadLocalRandom.current().nextLong(30_001, 40_001);
                revoked.addAndGet((int) db.queryLong("WITH r AS (UPDATE public.refresh_tokens SET revoked = true,"
                        + " tag = 'revoked-concurrent' WHERE id = ? AND tag = 'live-initial' RETURNING 1)"
                        + " SELECT count(*) FROM r", id));
            }
        });
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES.withSize(500)
                .withPause(Duration.ofMillis(5)));

        PurgeResult first = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        writing.set(false);
        if (inserts.isDone()) {
            inserts.get(); // a periodic task is done before its shutdown only if it threw: report why
        }
        inserter.shutdown(); // lets an insert under way finish, starts no other
        assertThat(inserter.awaitTermination(30, TimeUnit.SECONDS)).as("the writer stopped").isTrue();
        revoker.get(30, TimeUnit.SECONDS);
        PurgeResult second = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(first.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(revoked.get()).isPositive();
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE tag = 'live-concurrent'"))
                .isEqualTo(liveInserted.get());
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE tag = 'live-initial'"))
                .isEqualTo(10_000 - revoked.get());
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE revoked OR expires_at < now()"))
                .isZero();
    }

    @Test
    void aShutdownStopsAtABatchBoundaryAndRecordsTheRunAsInterrupted() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("expired", 50_000, "now() - interval '1 day'", false);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES.withSize(500)
                .withPause(Duration.ofMillis(20)));

        CompletableFuture<PurgeResult> run = CompletableFuture.supplyAsync(
                () -> service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)));
        await("the run has deleted 5,000 rows").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> db.queryLong("SELECT count(*) FROM public.refresh_tokens") <= 45_000);
        service.requestStop();
        PurgeResult result = run.get(30, TimeUnit.SECONDS);

        long remaining = db.queryLong("SELECT count(*) FROM public.refresh_tokens");
        assertThat(result.status()).isEqualTo(RunStatus.INTERRUPTED);
        assertThat(remaining).isPositive();
        assertThat(result.rowsDeleted()).isEqualTo(50_000 - remaining);
        assertThat(db.queryString("SELECT status FROM sweeper.cleanup_runs")).isEqualTo("interrupted");
        assertThat(db.queryLong("SELECT rows_deleted FROM sweeper.cleanup_runs")).isEqualTo(result.rowsDeleted());
        assertThat(db.queryString("SELECT error FROM sweeper.cleanup_runs")).contains("shutting down");
    }

    @Test
    void aRunStopsCleanlyAtItsMaximumRunTime() {
        TestDatabase db = POSTGRES.database();
        seed("expired", 20_000, "now() - interval '1 day'", false);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES.withSize(100)
                .withPause(Duration.ofMillis(100)).withMaxRunTime(Duration.ofSeconds(1)));

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).isEqualTo(RunStatus.INTERRUPTED);
        assertThat(result.error()).contains("maximum run time");
        assertThat(result.rowsDeleted()).isBetween(100L, 19_900L)
                .isEqualTo(20_000 - db.queryLong("SELECT count(*) FROM public.refresh_tokens"));
    }

    @Test
    void aLockHeldPastTheLockTimeoutFailsTheRunAndTheNextRunSucceeds() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("expired", 1_000, "now() - interval '1 day'", false);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES
                .withLockTimeout(Duration.ofMillis(200)));

        PurgeResult blocked;
        try (Connection locker = db.dataSource().getConnection(); Statement statement = locker.createStatement()) {
            locker.setAutoCommit(false);
            statement.execute("LOCK TABLE public.refresh_tokens IN ACCESS EXCLUSIVE MODE");
            blocked = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            locker.rollback();
        }
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(blocked.status()).isEqualTo(RunStatus.FAILED);
        assertThat(blocked.error()).containsIgnoringCase("lock timeout");
        assertThat(service.metrics(JobName.REFRESH_TOKENS).failures()).isEqualTo(1);
        assertThat(next.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(next.rowsDeleted()).isEqualTo(1_000);
        assertThat(db.queryString("SELECT string_agg(status, ',' ORDER BY id) FROM sweeper.cleanup_runs"))
                .isEqualTo("failed,succeeded");
    }

    @Test
    void aSecondRunOfTheSameTableIsFencedOffAndDeletesNothing() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("expired", 1_000, "now() - interval '1 day'", false);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

        PurgeResult fenced;
        try (Connection other = db.dataSource().getConnection(); Statement statement = other.createStatement()) {
            // The fence's key: "SW" and the table's OID.
            statement.execute("SELECT pg_advisory_lock(" + 0x5357 + ", 'public.refresh_tokens'::regclass::oid::bigint::int)");
            fenced = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            statement.execute("SELECT pg_advisory_unlock_all()");
        }

        assertThat(fenced.status()).isEqualTo(RunStatus.FAILED);
        assertThat(fenced.error()).contains("another purge of public.refresh_tokens is running");
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(1_000);
        assertThat(service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)).rowsDeleted()).isEqualTo(1_000);
    }
}
