package io.tokensweeper.purge;

import static io.tokensweeper.purge.PartitionDropFixture.batches;
import static io.tokensweeper.purge.PartitionDropFixture.createTables;
import static io.tokensweeper.purge.PartitionDropFixture.dropping;
import static io.tokensweeper.purge.PartitionDropFixture.exists;
import static io.tokensweeper.purge.PartitionDropFixture.partitionsOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The opt-in whole-partition drop: only a direct, non-default partition whose every row is doomed goes (by its
 * bounds, or checked), never the last one, never a sub-partitioned one, never while a default partition exists; a
 * row that is not doomed arriving before the detach keeps the partition; a dry run says which would go; a role that
 * does not own the tables is refused at start.
 */
class PartitionDropTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final String ROLE = "partition_dropper";
    private static final String PASSWORD = "partition-dropper-pw";

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    @BeforeEach
    void freshTables() {
        createTables(POSTGRES.database());
    }

    @Test
    void partitionsWhollyExpiredByTheirBoundsAreDroppedTheRestPurgedRowByRow() throws SQLException {
        TestDatabase db = POSTGRES.database();
        long live = db.queryLong("SELECT count(*) FROM public.rd WHERE tag = 'live'");
        long doomed = db.queryLong("SELECT count(*) FROM public.rd WHERE tag = 'doomed'");
        PurgeService service = PurgeFixture.start(db, dropping("rd"), batches());

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(doomed);
        assertThat(exists(db, "public.rd_old1")).isFalse();
        assertThat(exists(db, "public.rd_old2")).isFalse();
        // A sub-partition is never dropped, even wholly doomed: its rows go one by one.
        assertThat(exists(db, "public.rd_now_revoked")).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM public.rd WHERE tag = 'doomed'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.rd WHERE tag = 'live'")).isEqualTo(live);
        Map<String, PartitionRun> reported = partitionsOf(service, result.runId());
        assertThat(reported.get("public.rd_old1").dropped()).isTrue();
        assertThat(reported.get("public.rd_old1").rowsDeleted()).isEqualTo(700);
        assertThat(reported.get("public.rd_old1").note()).startsWith("dropped whole: every row expired by its bounds");
        assertThat(reported.get("public.rd_old2").dropped()).isTrue();
        assertThat(reported.get("public.rd_old2").rowsDeleted()).isEqualTo(500);
        assertThat(reported.get("public.rd_now_revoked").dropped()).isFalse();
        assertThat(reported.get("public.rd_now_revoked").rowsDeleted()).isEqualTo(300);
        assertThat(reported.get("public.rd_later").dropped()).isFalse();
        assertThat(db.queryString("SELECT rows_deleted::text FROM sweeper.cleanup_runs WHERE id = ?", result.runId()))
                .isEqualTo(Long.toString(doomed));
    }

    @Test
    void aNaiveTimestampExpiryIsJudgedByItsBoundsToo() throws SQLException {
        TestDatabase db = POSTGRES.database();
        db.execute("""
                DROP TABLE IF EXISTS public.rn CASCADE;
                CREATE TABLE public.rn (id bigserial, tag text NOT NULL, expires_at timestamp NOT NULL,
                  revoked boolean NOT NULL DEFAULT false) PARTITION BY RANGE (expires_at);
                CREATE TABLE public.rn_old PARTITION OF public.rn
                  FOR VALUES FROM (MINVALUE) TO ((now() AT TIME ZONE 'UTC') - interval '10 days');
                CREATE TABLE public.rn_now PARTITION OF public.rn FOR VALUES
                  FROM ((now() AT TIME ZONE 'UTC') - interval '10 days') TO ((now() AT TIME ZONE 'UTC') + interval '1 year');
                INSERT INTO public.rn (tag, expires_at) SELECT 'doomed', (now() AT TIME ZONE 'UTC') - interval '20 days'
                  FROM generate_series(1, 300);
                INSERT INTO public.rn (tag, expires_at) SELECT 'live', (now() AT TIME ZONE 'UTC') + interval '1 day'
                  FROM generate_series(1, 50);
                """);
        PurgeService service = PurgeFixture.start(db, dropping("rn"), batches());

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rn_old")).isFalse();
        assertThat(db.queryLong("SELECT count(*) FROM public.rn")).isEqualTo(50);
        assertThat(partitionsOf(service, result.runId()).get("public.rn_old").note())
                .startsWith("dropped whole: every row expired by its bounds");
    }

    @Test
    void aPartitionWithOneLiveRowIsPurgedRowByRowAndAWhollyDoomedOneByAnotherKeyIsDropped() throws SQLException {
        TestDatabase db = POSTGRES.database();
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(600 + 400 + 150);
        assertThat(exists(db, "public.rc_jan")).isFalse();
        assertThat(exists(db, "public.rc_feb")).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM public.rc_feb")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'live'")).isEqualTo(151);
        Map<String, PartitionRun> reported = partitionsOf(service, result.runId());
        assertThat(reported.get("public.rc_jan").note())
                .isEqualTo("dropped whole: every row doomed (checked) in a time range that has ended");
        assertThat(reported.get("public.rc_feb").dropped()).isFalse();
        assertThat(reported.get("public.rc_feb").rowsDeleted()).isEqualTo(400);
    }

    @Test
    void aPartitionNewRowsCanStillGoToIsNeverDroppedEvenWhenNothingInItIsLive() throws SQLException {
        TestDatabase db = POSTGRES.database();
        // Pre-created for next year (pg_partman's premake): empty, so nothing in it is live; and this month's range,
        // every row of it revoked. Dropping either would make the auth service's inserts into that range fail.
        db.execute("CREATE TABLE public.rc_next PARTITION OF public.rc FOR VALUES FROM"
                + " (date_trunc('year', now()) + interval '1 year') TO (date_trunc('year', now()) + interval '13 months')");
        db.execute("CREATE TABLE public.rc_now PARTITION OF public.rc FOR VALUES FROM (date_trunc('month', now()))"
                + " TO (date_trunc('month', now()) + interval '1 month')");
        db.execute("INSERT INTO public.rc (tag, created_at, expires_at, revoked) SELECT 'revoked', now(),"
                + " now() + interval '30 days', true FROM generate_series(1, 20)");
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rc_next")).isTrue();
        assertThat(exists(db, "public.rc_now")).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM public.rc_now")).isZero();
        assertThat(exists(db, "public.rc_jan")).isFalse();
        db.execute("INSERT INTO public.rc (tag, created_at, expires_at) VALUES ('new', now(), now() + interval '1 day')");
    }

    @Test
    void aLiveRowInsertedBeforeTheDetachKeepsThePartitionAttachedWithItsBounds() throws SQLException {
        TestDatabase db = POSTGRES.database();
        String bound = db.queryString("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = 'public.rc_jan'::regclass");
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        service.engine().beforeDetach(leaf -> {
            if (leaf.table().equals("rc_jan")) {
                db.execute("INSERT INTO public.rc (tag, created_at, expires_at) VALUES ('late live', '2026-01-20',"
                        + " now() + interval '30 days')");
            }
        });

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rc_jan")).isTrue();
        assertThat(db.queryString("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = 'public.rc_jan'::regclass"))
                .isEqualTo(bound);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'late live'")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc_jan")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'doomed'")).isZero();
        PartitionRun jan = partitionsOf(service, result.runId()).get("public.rc_jan");
        assertThat(jan.dropped()).isFalse();
        assertThat(jan.rowsDeleted()).isEqualTo(600);
        assertThat(jan.note()).contains("1 row(s) that are not doomed appeared in it")
                .contains("attached again with its bounds and purged row by row");
    }

    /**
     * A concurrent detach that waits longer than lock_timeout (here for a long transaction of the auth service that
     * read the table; as much for a write transaction on a table the partition's foreign keys reference, whose
     * writers would queue behind the detach) gives up: the partition is left half detached, the run does not wait
     * for the statement timeout nor fail, and once the transaction has ended the next run finishes the drop.
     */
    @Test
    void aDetachThatWaitsLongerThanLockTimeoutIsLeftHalfDetachedAndFinishedByTheNextRun() throws Exception {
        TestDatabase db = POSTGRES.database();
        BatchSettings quick = new BatchSettings(100, java.time.Duration.ZERO, java.time.Duration.ofMillis(300),
                java.time.Duration.ofMinutes(2), java.time.Duration.ofMinutes(5)).withMethod(Optional.of(PurgeMethod.HEAP));
        PurgeService service = PurgeFixture.start(db, dropping("rc"), quick);
        PurgeResult result;
        try (java.sql.Connection reader = db.dataSource().getConnection()) {
            reader.setAutoCommit(false);
            service.engine().beforeDetach(leaf -> {
                try (java.sql.Statement statement = reader.createStatement()) {
                    statement.execute("SELECT count(*) FROM public.rc");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });

            result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            reader.rollback();
        }
        service.engine().beforeDetach(leaf -> { });
        assertThat(result.status()).as(result.summary()).isNotEqualTo(RunStatus.FAILED);
        // It gave up after lock_timeout (300 ms, twice: the detach and its FINALIZE), far from statement_timeout
        // (2 minutes), which the detach's wait was bounded by before: a bound, not a timing.
        assertThat(result.duration()).as(result.summary()).isLessThan(java.time.Duration.ofMinutes(1));
        assertThat(partitionsOf(service, result.runId()).get("public.rc_jan").note())
                .contains(PartitionDrop.HALF_DETACHED);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.partition_drops")).isEqualTo(1);

        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rc_jan")).isFalse();
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.partition_drops")).isZero();
    }

    @Test
    void aDryRunSaysWhichPartitionsWouldGoAndKeepsThem() throws SQLException {
        TestDatabase db = POSTGRES.database();
        PurgeService service = PurgeFixture.start(db, dropping("rd"), batches());

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(true));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rd_old1")).isTrue();
        Map<String, PartitionRun> reported = partitionsOf(service, result.runId());
        assertThat(reported.values().stream().filter(PartitionRun::dropped).map(PartitionRun::partition))
                .containsExactly("public.rd_old1", "public.rd_old2");
        assertThat(reported.get("public.rd_old1").note()).startsWith("would be dropped whole: every row expired");
        assertThat(service.partitioning(JobName.REFRESH_TOKENS)).hasValue("partitioned by RANGE (expires_at),"
                + " 5 leaf partitions, 1 sub-partitioned, each leaf purged in turn, a direct partition whose every row"
                + " is doomed dropped whole (dropDoomedPartitions)");
    }

    @Test
    void neverTheDefaultPartitionNorAnyWhileOneExistsNorTheLastPartition() throws SQLException {
        TestDatabase db = POSTGRES.database();
        db.execute("""
                CREATE TABLE public.rd_default PARTITION OF public.rd DEFAULT;
                DROP TABLE IF EXISTS public.rs;
                CREATE TABLE public.rs (id bigserial, tag text, expires_at timestamptz NOT NULL, revoked boolean)
                  PARTITION BY RANGE (expires_at);
                CREATE TABLE public.rs_only PARTITION OF public.rs FOR VALUES FROM (MINVALUE) TO (now() - interval '1 day');
                INSERT INTO public.rs (tag, expires_at) SELECT 'doomed', now() - interval '2 days' FROM generate_series(1, 50);
                """);
        PurgeResult withDefault = PurgeFixture.start(db, dropping("rd"), batches())
                .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        assertThat(withDefault.status()).as(withDefault.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rd_old1")).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM public.rd WHERE tag = 'doomed'")).isZero();

        PurgeResult last = PurgeFixture.start(db, dropping("rs"), batches())
                .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        assertThat(last.status()).as(last.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(last.rowsDeleted()).isEqualTo(50);
        assertThat(exists(db, "public.rs_only")).isTrue();
    }

    @Test
    void aRoleThatDoesNotOwnTheTablesIsRefusedAtStartNamingKeyTableAndOwnership() {
        TestDatabase db = POSTGRES.database();
        db.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                + " CREATE ROLE " + ROLE + " LOGIN; END IF; END $$");
        db.execute("ALTER ROLE " + ROLE + " PASSWORD '" + PASSWORD + "';"
                + " GRANT USAGE ON SCHEMA public TO " + ROLE + ";"
                + " GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA public TO " + ROLE + ";");
        try (TestDatabase asRole = new TestDatabase(db.url(), ROLE, PASSWORD)) {
            assertThatThrownBy(() -> PurgeFixture.start(asRole, dropping("rd"), batches()))
                    .isInstanceOf(TargetConfigurationException.class)
                    .hasMessageStartingWith("cleanup.refreshTokens.dropDoomedPartitions: database user " + ROLE
                            + " may not detach and drop partitions of public.rd: that needs ownership of the"
                            + " partitioned table and of its partitions, and it does not own public.rd (owner ")
                    .hasMessageContaining("public.rd_old1 (owner ")
                    .hasMessageContaining("set cleanup.refreshTokens.dropDoomedPartitions: false");
            // Without the opt-in the same role purges row by row.
            assertThat(PurgeFixture.start(asRole, PurgeFixture.refreshTokensOnly("public", "rd", "expires_at",
                    "revoked"), batches()).isEnabled(JobName.REFRESH_TOKENS)).isTrue();
        } finally {
            db.execute("DROP OWNED BY " + ROLE);
        }
    }
}
