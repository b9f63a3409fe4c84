package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** After a run its history row holds the table's space as PostgreSQL reports it, and autovacuum's lag. */
class TableSpaceTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final CleanupFactory CONFIG =
            PurgeFixture.refreshTokensOnly("public", "refresh_tokens", "expires_at", "revoked");

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(SpaceAfterRun.class)).addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(SpaceAfterRun.class)).detachAppender(log);
    }

    /** A fresh token table with {@code doomed} expired and {@code live} valid rows, its statistics settled. */
    static void tokens(TestDatabase db, boolean autovacuum, int doomed, int live) {
        db.execute("DROP TABLE IF EXISTS public.refresh_tokens;"
                + " CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, tag text NOT NULL,"
                + " expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false)"
                + " WITH (autovacuum_enabled = " + autovacuum + ");"
                + " TRUNCATE sweeper.cleanup_runs");
        PurgeFixture.seedTokens(db, "doomed", doomed, true);
        PurgeFixture.seedTokens(db, "live", live, false);
        // The seeding sessions publish their counts when idle, at most once a second: wait for them, so that
        // nothing changes the statistics between the run's reading and the test's.
        await("the seed's inserts are in pg_stat_user_tables").atMost(Duration.ofSeconds(30)).until(() ->
                db.queryLong("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'public.refresh_tokens'::regclass")
                        == doomed + live);
    }

    static long stat(TestDatabase db, String column) {
        return db.queryLong("SELECT " + column + " FROM pg_stat_user_tables WHERE relid = 'public.refresh_tokens'::regclass");
    }

    static int serverVersion(TestDatabase db) {
        return (int) db.queryLong("SELECT current_setting('server_version_num')::int");
    }

    @Test
    void theRunRecordsTheTablesSizeAndTuplesAsPgStatUserTablesHasThem() throws Exception {
        TestDatabase db = POSTGRES.database();
        tokens(db, false, 3_000, 7_000);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.rowsDeleted()).isEqualTo(3_000);
        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        RunSpace space = run.space();
        assertThat(space).as("space recorded").isNotNull();
        assertThat(space.tableBytes()).isEqualTo(db.queryLong("SELECT pg_total_relation_size('public.refresh_tokens')"))
                .isGreaterThan(space.heapBytes());
        assertThat(space.heapBytes()).isEqualTo(db.queryLong("SELECT pg_relation_size('public.refresh_tokens')"));
        assertThat(space.lastAutovacuum()).isNull();
        assertThat(space.lastVacuum()).isNull();
        assertThat(run.vacuum()).as("not opted in").isNull();
        // Never vacuumed nor analyzed: reltuples is unknown, so autovacuum's threshold is its base, 50.
        assertThat(space.autovacuumThreshold()).isEqualTo(50);
        // PostgreSQL 14's statistics collector publishes with a delay no session can force.
        assumeThat(serverVersion(db)).isGreaterThanOrEqualTo(150_000);
        assertThat(space.deadTuples()).isEqualTo(stat(db, "n_dead_tup")).isEqualTo(3_000);
        assertThat(space.liveTuples()).isEqualTo(stat(db, "n_live_tup")).isEqualTo(7_000);
    }

    @Test
    void theThresholdFollowsTheTablesOwnReloptionsAndReltuples() throws Exception {
        TestDatabase db = POSTGRES.database();
        tokens(db, false, 1_000, 9_000);
        db.execute("ANALYZE public.refresh_tokens; ALTER TABLE public.refresh_tokens"
                + " SET (autovacuum_vacuum_threshold = 100, autovacuum_vacuum_scale_factor = 0.05)");
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

        service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(true));

        RunSpace space = service.history().last(JobName.REFRESH_TOKENS).orElseThrow().space();
        assertThat(space.autovacuumThreshold()).isEqualTo(100 + (long) (0.05 * 10_000));
        assertThat(space.deadTuples()).as("a dry run deletes nothing").isZero();
    }

    @Test
    void deadTuplesOverTheThresholdOfATableAutovacuumIgnoresAreAWarning() throws Exception {
        TestDatabase db = POSTGRES.database();
        tokens(db, false, 3_000, 7_000);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

        service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        assertThat(run.space().autovacuumWarning()).startsWith("autovacuum will not vacuum public.refresh_tokens"
                + " (autovacuum_enabled=false on the table), and its ");
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                .singleElement().asString().startsWith("Purge refresh-tokens run " + run.id()
                        + ": public.refresh_tokens: autovacuum is far behind: autovacuum will not vacuum");
    }

    /** A fresh token table autovacuum may vacuum, and a session holding it locked so that it cannot yet. */
    private static Connection tableAutovacuumCannotVacuumYet(TestDatabase db) throws SQLException {
        tokens(db, true, 0, 0);
        Connection holder = db.dataSource().getConnection();
        holder.setAutoCommit(false);
        try (Statement statement = holder.createStatement()) {
            // What VACUUM needs; autovacuum skips a table it cannot lock at once. DELETEs pass.
            statement.execute("LOCK TABLE public.refresh_tokens IN SHARE UPDATE EXCLUSIVE MODE");
        }
        return holder;
    }

    private static void awaitDeletesCounted(TestDatabase db, long deletes) {
        await("the deletes are in pg_stat_user_tables").atMost(Duration.ofSeconds(30))
                .until(() -> stat(db, "n_tup_del") == deletes);
    }

    @Test
    void deadTuplesOverTheThresholdSinceARunHoursAgoWithNoVacuumSinceAreAWarning() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (Connection holder = tableAutovacuumCannotVacuumYet(db)) {
            PurgeFixture.seedTokens(db, "doomed", 3_000, true);
            PurgeFixture.seedTokens(db, "live", 7_000, false);
            // The auth service deleted rows itself; a run 7 hours ago already found dead tuples over the threshold.
            db.execute("DELETE FROM public.refresh_tokens WHERE tag = 'live' AND id % 7 = 0");
            awaitDeletesCounted(db, 7_000 - PurgeFixture.countTokens(db, "tag = 'live'"));
            db.execute("INSERT INTO sweeper.cleanup_runs (job, trigger, node_id, status, started_at, finished_at,"
                    + " table_bytes, heap_bytes, live_tuples, dead_tuples, autovacuum_threshold) VALUES"
                    + " ('refresh-tokens', 'cron', 'earlier', 'succeeded', now() - interval '7 hours 1 minute',"
                    + " now() - interval '7 hours', 1, 1, 8000, 900, 50)");
            long earlierRun = db.queryLong("SELECT max(id) FROM sweeper.cleanup_runs");
            PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            holder.rollback();

            RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
            assertThat(run.rowsDeleted()).isEqualTo(3_000);
            assertThat(run.space().autovacuumWarning()).contains(" dead tuples of public.refresh_tokens that this run"
                    + " did not leave exceed autovacuum's threshold of 50 for it; run " + earlierRun + " already found"
                    + " more than the threshold 7 h ago, and no vacuum is on record");
            assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN).hasSize(1);
        }
    }

    @Test
    void aSecondRunRightAfterALargeOneIsNoWarningThoughAutovacuumHasNotComeYet() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (Connection holder = tableAutovacuumCannotVacuumYet(db)) {
            PurgeFixture.seedTokens(db, "doomed", 3_000, true);
            PurgeFixture.seedTokens(db, "live", 7_000, false);
            PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            holder.rollback();

            RunRecord second = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
            assertThat(second.rowsDeleted()).isZero();
            // 3000 dead tuples the second run did not leave, 60 times the threshold, but for seconds only.
            assertThat(second.space().deadTuples()).isGreaterThan(4 * second.space().autovacuumThreshold());
            assertThat(second.space().autovacuumWarning()).isNull();
            assertThat(log.list).noneMatch(e -> e.getLevel() == Level.WARN);
        }
    }

    @Test
    void deadTuplesAVacuumCouldNotRemoveAreAWarningThatNamesWhatHoldsThem() throws Exception {
        TestDatabase db = POSTGRES.database();
        tokens(db, true, 1_000, 19_000);
        db.execute("ALTER TABLE public.refresh_tokens SET (autovacuum_vacuum_scale_factor = 0.05)");
        // A session whose snapshot still sees the rows the auth service deletes next: no vacuum may remove them.
        try (Connection snapshot = db.dataSource().getConnection(); Statement statement = snapshot.createStatement()) {
            snapshot.setAutoCommit(false);
            snapshot.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            statement.execute("SELECT count(*) FROM public.refresh_tokens");
            db.execute("DELETE FROM public.refresh_tokens WHERE tag = 'live' AND id % 19 <> 0");
            awaitDeletesCounted(db, 19_000 - PurgeFixture.countTokens(db, "tag = 'live'"));
            db.execute("VACUUM public.refresh_tokens");
            PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            snapshot.rollback();

            RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
            assertThat(run.space().lastVacuum()).isNotNull();
            long deletedByOthers = 19_000 - PurgeFixture.countTokens(db, "tag = 'live'");
            assumeThat(serverVersion(db)).isGreaterThanOrEqualTo(150_000);
            assertThat(run.space().deadTuples()).isEqualTo(deletedByOthers + 1_000);
            assertThat(run.space().autovacuumWarning()).contains(" dead tuples of public.refresh_tokens that this run"
                    + " did not leave are ").contains("though its last vacuum ended at ")
                    .contains("something holds back their removal (a long-running or idle-in-transaction session");
        }
    }

    @Test
    void theSameDeletesOnATableAutovacuumLooksAfterAreNoWarning() throws Exception {
        TestDatabase db = POSTGRES.database();
        tokens(db, true, 3_000, 7_000);
        PurgeService service = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES);

        service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        assertThat(run.space()).isNotNull();
        assertThat(run.space().autovacuumWarning()).isNull();
        assertThat(log.list).noneMatch(e -> e.getLevel() == Level.WARN);
    }
}
