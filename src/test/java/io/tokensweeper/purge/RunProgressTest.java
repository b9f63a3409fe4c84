package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** Every statement is bounded, every run continues the last, and the history says exactly what happened. */
class RunProgressTest {
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
                DROP TABLE IF EXISTS public.refresh_tokens, public.purge_statements;
                DROP FUNCTION IF EXISTS public.log_purge_statement();
                CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, tag text NOT NULL,
                  expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false);
                -- Every DELETE statement: its transaction and the rows it removed, by id (ids follow the heap).
                CREATE TABLE public.purge_statements (seq bigserial, xid bigint, deleted bigint, min_id bigint,
                  max_id bigint);
                CREATE FUNCTION public.log_purge_statement() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO public.purge_statements (xid, deleted, min_id, max_id)
                    SELECT txid_current(), count(*), min(id), max(id) FROM old_rows HAVING count(*) > 0;
                  RETURN NULL;
                END $$;
                CREATE TRIGGER log_purge AFTER DELETE ON public.refresh_tokens
                  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.log_purge_statement();
                TRUNCATE sweeper.cleanup_runs;
                """);
    }

    private static void seed(String tag, int rows, boolean doomed) {
        PurgeFixture.seedTokens(POSTGRES.database(), tag, rows, doomed);
    }

    @Test
    void noStatementDeletesMoreThanTheBatchSizeWhenASparseFrontMisleadsTheEstimate() {
        TestDatabase db = POSTGRES.database();
        // The front, after an earlier purge and a VACUUM: a few live rows in mostly empty blocks. The back:
        // dense and all doomed. The first blocks say "no doomed rows here", so the first range is huge.
        seed("front", 60_000, false);
        seed("back", 60_000, true);
        db.execute("DELETE FROM public.refresh_tokens WHERE tag = 'front' AND id % 100 <> 0;"
                + " TRUNCATE public.purge_statements");
        db.execute("VACUUM public.refresh_tokens");
        BatchSettings batch = PurgeFixture.SMALL_BATCHES.withSize(1_000);

        PurgeResult result = PurgeFixture.start(db, CONFIG, batch).run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(60_000);
        assertThat(db.queryLong("SELECT max(deleted) FROM public.purge_statements")).as("rows in the largest statement")
                .isEqualTo(1_000);
        assertThat(db.queryLong("SELECT count(DISTINCT xid) FROM public.purge_statements"))
                .isEqualTo(db.queryLong("SELECT count(*) FROM public.purge_statements"));
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(600);
    }

    @Test
    void aOneScanStatementThatFindsMoreThanTheBatchSizeIsRolledBackAndDoneInBoundedStatements() {
        TestDatabase db = POSTGRES.database();
        // Statistics and the first blocks both say "a row or two per block", taken before a dense, all-doomed back
        // was appended: the one-scan statement's range reaches far into the back and finds far too many rows.
        db.execute("ALTER TABLE public.refresh_tokens SET (autovacuum_enabled = false)");
        seed("front", 60_000, false);
        db.execute("DELETE FROM public.refresh_tokens WHERE id % 100 <> 0");
        db.execute("ANALYZE public.refresh_tokens"); // not VACUUM: the back must not fill the front's free space
        seed("back", 60_000, true);
        db.execute("TRUNCATE public.purge_statements");
        Logger deleterLog = (Logger) LoggerFactory.getLogger(RangeDeleter.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        deleterLog.addAppender(log);
        deleterLog.setLevel(Level.DEBUG);
        PurgeResult result;
        try {
            result = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES.withSize(1_000))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        } finally {
            deleterLog.detachAppender(log);
            deleterLog.setLevel(null);
        }

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(log.list).map(ILoggingEvent::getFormattedMessage).as("an overshooting statement was rolled back")
                .anyMatch(line -> line.contains("rolled back"));
        assertThat(result.rowsDeleted()).isEqualTo(60_000);
        assertThat(db.queryLong("SELECT sum(deleted) FROM public.purge_statements")).isEqualTo(60_000);
        assertThat(db.queryLong("SELECT max(deleted) FROM public.purge_statements")).as("rows in the largest statement")
                .isLessThanOrEqualTo(1_000);
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(600);
    }

    @Test
    void aBacklogCutByMaxRunTimeIsFinishedByRunsThatEachContinueTheLast() {
        TestDatabase db = POSTGRES.database();
        seed("live", 2_000, false);
        seed("doomed", 30_000, true);
        BatchSettings batch = PurgeFixture.SMALL_BATCHES.withSize(500).withPause(Duration.ofMillis(50))
                .withMaxRunTime(Duration.ofSeconds(1));
        PurgeService service = PurgeFixture.start(db, CONFIG, batch);
        List<PurgeResult> runs = new ArrayList<>();
        List<Long> firstStatementOfRun = new ArrayList<>();

        while (runs.size() < 100) {
            firstStatementOfRun.add(db.queryLong("SELECT coalesce(max(seq), 0) + 1 FROM public.purge_statements"));
            PurgeResult run = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            runs.add(run);
            if (run.status() == RunStatus.SUCCEEDED) {
                break;
            }
            assertThat(run.status()).as(run.summary()).isEqualTo(RunStatus.INTERRUPTED);
            assertThat(run.error()).contains("continues from here");
            if (runs.size() == 1) {
                // Behind the first run's position: only a run that wraps around finds it.
                db.execute("UPDATE public.refresh_tokens SET revoked = true WHERE id = 1");
            }
        }

        assertThat(runs.size()).as("runs").isBetween(3, 99);
        assertThat(runs.subList(0, runs.size() - 1)).as("every run cut short made progress")
                .allSatisfy(r -> assertThat(r.rowsDeleted()).isPositive());
        assertThat(runs.stream().mapToLong(PurgeResult::rowsDeleted).sum()).isEqualTo(30_001);
        assertThat(db.queryLong("SELECT sum(rows_deleted) FROM sweeper.cleanup_runs")).isEqualTo(30_001);
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(1_999);
        // Each run starts deleting after the rows the run before it deleted: none starts from the first
        // block again, and the revoked front row goes only in the last run, once it wraps around.
        for (int i = 1; i < runs.size(); i++) {
            if (runs.get(i).rowsDeleted() == 0) {
                continue;
            }
            long previousMax = db.queryLong("SELECT max(max_id) FROM public.purge_statements WHERE seq < ?",
                    firstStatementOfRun.get(i));
            long firstOfRun = db.queryLong("SELECT min_id FROM public.purge_statements WHERE seq ="
                    + " (SELECT min(seq) FROM public.purge_statements WHERE seq >= ?)", firstStatementOfRun.get(i));
            if (firstOfRun == 1) {
                continue; // the run that wraps around (the one before it ended at the table's end) starts at the front
            }
            assertThat(firstOfRun).as("run %d starts after run %d", i + 1, i).isGreaterThan(previousMax);
        }
        assertThat(db.queryLong("SELECT seq FROM public.purge_statements WHERE min_id = 1"))
                .as("the front row is deleted after every other row, once a run wraps around")
                .isEqualTo(db.queryLong("SELECT max(seq) FROM public.purge_statements"));
        assertThat(db.queryLong("SELECT lap_percent FROM sweeper.cleanup_runs ORDER BY id DESC LIMIT 1"))
                .isEqualTo(100);
    }

    @Test
    void whetherAPurgeIsRunningIsAskedOfThisDatabaseOnly() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("doomed", 10, true);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);
        try (TestDatabase other = POSTGRES.newDatabase()) {
            other.execute("CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, expires_at timestamptz,"
                    + " revoked boolean)");
            PurgeFixture.migrate(other);
            PurgeService elsewhere = PurgeFixture.start(other, CONFIG, PurgeFixture.SMALL_BATCHES);
            PurgeTarget otherTarget = elsewhere.target(JobName.REFRESH_TOKENS).orElseThrow();
            try (Connection connection = other.dataSource().getConnection();
                 Statement statement = connection.createStatement()) {
                // The other database's fence, as a purge running there holds it.
                statement.execute("SELECT pg_advisory_lock(" + 0x5357 + ", " + (int) TableFacts.oid(connection,
                        otherTarget) + ")");
                assertThat(elsewhere.isRunningAnywhere(JobName.REFRESH_TOKENS)).isTrue();

                assertThat(service.isRunningAnywhere(JobName.REFRESH_TOKENS)).isFalse();
                assertThat(service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)).status())
                        .isEqualTo(RunStatus.SUCCEEDED);
            }
        }
    }

    @Test
    void aRunWhoseTableIsGoneIsRecordedAsFailedNamingIt() {
        TestDatabase db = POSTGRES.database();
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);
        db.execute("ALTER TABLE public.refresh_tokens RENAME TO refresh_tokens_old");
        try {
            PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.status()).isEqualTo(RunStatus.FAILED);
            assertThat(result.error()).contains("table public.refresh_tokens does not exist");
            assertThat(db.queryString("SELECT status || ': ' || error FROM sweeper.cleanup_runs"))
                    .isEqualTo("failed: " + result.error());
        } finally {
            db.execute("ALTER TABLE public.refresh_tokens_old RENAME TO refresh_tokens");
        }
    }

    @Test
    void aDryRunWaitsNoLongerThanTheLockTimeout() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("doomed", 10, true);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES
                .withLockTimeout(Duration.ofMillis(200)));
        try (Connection locker = db.dataSource().getConnection(); Statement statement = locker.createStatement()) {
            locker.setAutoCommit(false);
            statement.execute("LOCK TABLE public.refresh_tokens IN ACCESS EXCLUSIVE MODE");
            CompletableFuture<PurgeResult> dryRun = CompletableFuture.supplyAsync(
                    () -> service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(true)));

            PurgeResult result = dryRun.get(30, TimeUnit.SECONDS);
            locker.rollback();

            assertThat(result.status()).isEqualTo(RunStatus.FAILED);
            assertThat(result.error()).contains("lock timeout").contains("holds AccessExclusiveLock on the table");
        }
    }

    @Test
    void aStartingNodeNeverClosesARunThatIsStillGoing() throws Exception {
        TestDatabase db = POSTGRES.database();
        seed("doomed", 200, true);
        PurgeService runner = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES.withSize(10));
        AtomicBoolean running = new AtomicBoolean(true);
        // Other nodes starting again and again, each closing the runs it believes abandoned.
        CompletableFuture<Void> startingNodes = CompletableFuture.runAsync(() -> {
            while (running.get()) {
                PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);
            }
        });
        List<PurgeResult> results = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            results.add(runner.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)));
            seed("doomed", 20, true);
        }
        running.set(false);
        startingNodes.get(30, TimeUnit.SECONDS);

        assertThat(results).allSatisfy(r -> assertThat(r.status()).as(r.summary()).isEqualTo(RunStatus.SUCCEEDED));
        assertThat(db.queryString("SELECT string_agg(DISTINCT status, ',') FROM sweeper.cleanup_runs"))
                .isEqualTo("succeeded");
    }
}
