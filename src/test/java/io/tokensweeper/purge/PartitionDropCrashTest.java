package io.tokensweeper.purge;

import static io.tokensweeper.purge.PartitionDropFixture.batches;
import static io.tokensweeper.purge.PartitionDropFixture.createTables;
import static io.tokensweeper.purge.PartitionDropFixture.dropping;
import static io.tokensweeper.purge.PartitionDropFixture.exists;
import static io.tokensweeper.purge.PartitionDropFixture.partitionsOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A node that dies in the middle of a whole-partition drop: before the detach took effect, while the concurrent
 * detach waits (the partition left "detach pending"), or after the detach and before the DROP committed (the
 * partition left a table of its own). The next run finishes what it left: drops the table with its rows counted,
 * attaches it again when a row that is not doomed is in it, and never touches another table of the same name.
 * The node's death is its database session's: its backend is terminated at that moment.
 */
class PartitionDropCrashTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    /** What a node dying right before the detach looks like to the run's thread. */
    private static final class NodeDied extends Error {
        private static final long serialVersionUID = 1L;

        NodeDied() {
            super("the node died");
        }
    }

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    @BeforeEach
    void freshTables() {
        createTables(POSTGRES.database());
    }

    @Test
    void aPartitionLeftDetachedByADeadNodeIsDroppedByTheNextRunWithItsRowsCounted() throws Exception {
        TestDatabase db = POSTGRES.database();
        long crashed = crashAfterTheDetach(db, "rc", "rc_jan");
        assertThat(db.queryLong("SELECT count(*) FROM public.rc_jan")).isEqualTo(600);
        long doomedLeft = db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'doomed'");

        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        PartitionRun jan = droppedWhole(db, service, next, "public.rc_jan", 600);
        assertThat(next.rowsDeleted()).isEqualTo(600 + doomedLeft);
        assertThat(jan.note()).isEqualTo("dropped whole: every row doomed (checked) in a time range that has ended"
                + " (finishing the drop of run " + crashed + ", which stopped after the detach)");
        assertThat(unfinishedDrops(db)).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'live'")).isEqualTo(151);
    }

    @Test
    void aPartitionLeftDetachPendingIsFinishedAndLaterDropsWorkAgain() throws Exception {
        TestDatabase db = POSTGRES.database();
        long crashed = crashWhileTheDetachWaits(db, "rd", "rd_old1");
        assertThat(partitionState(db, "public.rd_old1")).isEqualTo("detach pending");

        PurgeService service = PurgeFixture.start(db, dropping("rd"), batches());
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(droppedWhole(db, service, next, "public.rd_old1", 700).note())
                .contains("finishing the drop of run " + crashed);
        // The next partition expired by its bounds can be detached concurrently again.
        assertThat(exists(db, "public.rd_old2")).isFalse();
        assertThat(partitionsOf(service, next.runId()).get("public.rd_old2").dropped()).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM public.rd WHERE tag = 'doomed'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhdetachpending")).isZero();
        assertThat(unfinishedDrops(db)).isZero();
    }

    @Test
    void aPartitionLeftDetachedWithALiveRowIsAttachedAgainWithItsBoundsAndPurgedRowByRow() throws Exception {
        TestDatabase db = POSTGRES.database();
        String bound = db.queryString("SELECT pg_get_expr(relpartbound, oid) FROM pg_class"
                + " WHERE oid = 'public.rc_jan'::regclass");
        long crashed = crashAfterTheDetach(db, "rc", "rc_jan");
        db.execute("INSERT INTO public.rc_jan (tag, created_at, expires_at) VALUES ('late live', '2026-01-20',"
                + " now() + interval '30 days')");

        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(db.queryString("SELECT pg_get_expr(relpartbound, oid) FROM pg_class"
                + " WHERE oid = 'public.rc_jan'::regclass")).isEqualTo(bound);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'late live'")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'doomed'")).isZero();
        List<PartitionRun> jan = partitionRuns(service, next.runId(), "public.rc_jan");
        assertThat(jan).hasSize(2);
        assertThat(jan.get(0).dropped()).isFalse();
        assertThat(jan.get(0).note()).contains("run " + crashed).contains("1 row(s) that are not doomed")
                .contains("attached again with its bounds");
        assertThat(jan.get(1).rowsDeleted()).isEqualTo(600);
        assertThat(unfinishedDrops(db)).isZero();
    }

    /**
     * A half-detached partition whose FINALIZE waits longer than lock_timeout too (a long transaction of the auth
     * service that read the table): left alone by this run, its note says so, the run does not fail, and the run
     * after that, the transaction ended, finishes the drop.
     */
    @Test
    void aPartitionLeftDetachPendingWhoseFinishWaitsTooLongIsLeftForTheRunAfter() throws Exception {
        TestDatabase db = POSTGRES.database();
        crashWhileTheDetachWaits(db, "rd", "rd_old1");
        BatchSettings quick = batches().withLockTimeout(java.time.Duration.ofMillis(300));
        PurgeService service = PurgeFixture.start(db, dropping("rd"), quick);
        PurgeResult during;
        try (Connection reader = db.dataSource().getConnection()) {
            reader.setAutoCommit(false);
            execute(reader, "SELECT count(*) FROM public.rd");

            during = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            reader.rollback();
        }

        assertThat(during.status()).as(during.summary()).isNotEqualTo(RunStatus.FAILED);
        assertThat(partitionState(db, "public.rd_old1")).isEqualTo("detach pending");
        assertThat(partitionsOf(service, during.runId()).get("public.rd_old1").note())
                .contains(PartitionDrop.HALF_DETACHED).doesNotContain("detached or dropped during the run");
        assertThat(unfinishedDrops(db)).isEqualTo(1);

        PurgeResult after = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        droppedWhole(db, service, after, "public.rd_old1", 700);
        assertThat(unfinishedDrops(db)).isZero();
    }

    @Test
    void anotherTableCreatedUnderTheSameNameIsNeverTouched() throws Exception {
        TestDatabase db = POSTGRES.database();
        crashAfterTheDetach(db, "rc", "rc_jan");
        db.execute("DROP TABLE public.rc_jan; CREATE TABLE public.rc_jan (LIKE public.rc INCLUDING DEFAULTS);"
                + " INSERT INTO public.rc_jan (tag, created_at, expires_at) SELECT 'doomed', '2026-01-10',"
                + " now() - interval '1 day' FROM generate_series(1, 50)");

        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(db.queryLong("SELECT count(*) FROM public.rc_jan")).isEqualTo(50);
        assertThat(partitionState(db, "public.rc_jan")).isNull();
        assertThat(partitionsOf(service, next.runId()).get("public.rc_jan").note()).contains("no longer exists");
        assertThat(unfinishedDrops(db)).isZero();
    }

    @Test
    void aDropStillInFlightOnADeadNodesSessionIsLeftAloneUntilItEndsThenFinished() throws Exception {
        TestDatabase db = POSTGRES.database();
        // The node recorded the drop of rc_jan and died; its DDL session's DETACH ... CONCURRENTLY goes on (waiting
        // for a lock, say), holding the drop's lock: here, this connection.
        long oid = recordDrop(db, "rc", "rc_jan");
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        try (Connection orphan = db.dataSource().getConnection()) {
            execute(orphan, "SELECT pg_advisory_lock(" + InFlightDrop.KEY_SPACE + ", " + InFlightDrop.key(oid)
                    + ")");

            PurgeResult during = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(during.status()).as(during.summary()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(unfinishedDrops(db)).isEqualTo(1);
            assertThat(partitionState(db, "public.rc_jan")).isEqualTo("attached");
            assertThat(db.queryLong("SELECT count(*) FROM public.rc_jan")).isEqualTo(600);
            assertThat(partitionsOf(service, during.runId()).get("public.rc_jan").note())
                    .contains("still in flight on another session");
            // The orphan's detach completes, and its session goes.
            execute(orphan, "SELECT pg_advisory_unlock(" + InFlightDrop.KEY_SPACE + ", " + InFlightDrop.key(oid)
                    + ")");
        }
        db.execute("ALTER TABLE public.rc DETACH PARTITION public.rc_jan");

        PurgeResult after = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        droppedWhole(db, service, after, "public.rc_jan", 600);
        assertThat(unfinishedDrops(db)).isZero();
        // No pooled connection went back holding a drop's lock.
        assertThat(db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = ?::bigint::oid", (long) InFlightDrop.KEY_SPACE)).isZero();
    }

    @Test
    void aLeftoverRenamedBeforeTheNextRunIsKeptAndFailsTheRunNamingIt() throws Exception {
        TestDatabase db = POSTGRES.database();
        crashAfterTheDetach(db, "rc", "rc_jan");
        db.execute("DROP SCHEMA IF EXISTS archive CASCADE; CREATE SCHEMA archive;"
                + " ALTER TABLE public.rc_jan RENAME TO rc_jan_kept;"
                + " ALTER TABLE public.rc_jan_kept SET SCHEMA archive");

        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.FAILED);
        assertThat(next.error()).contains("archive.rc_jan_kept").contains("DROP TABLE \"archive\".\"rc_jan_kept\"");
        assertThat(partitionsOf(service, next.runId()).get("public.rc_jan").note()).contains("archive.rc_jan_kept");
        assertThat(db.queryLong("SELECT count(*) FROM archive.rc_jan_kept")).isEqualTo(600);
        assertThat(unfinishedDrops(db)).isEqualTo(1);
        // The partitions are purged all the same.
        assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'doomed'")).isZero();
    }

    @Test
    void aDropLeftUnfinishedThatKeepsFailingWithAnSqlErrorFailsTheRunButTheRestIsStillPurged() throws Exception {
        TestDatabase db = POSTGRES.database();
        breakForgettingAGoneDrop(db);
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());

        for (int run = 0; run < 2; run++) {
            PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.FAILED);
            assertThat(next.error()).contains("public.rc_gone").contains("cannot forget it");
            assertThat(partitionsOf(service, next.runId()).get("public.rc_gone").note()).contains("cannot forget it");
            assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'doomed'")).isZero();
            assertThat(unfinishedDrops(db)).isEqualTo(1);
        }
    }

    @Test
    void aLeafThatFailsLaterKeepsTheUnfinishedDropsFailureInTheRunsError() throws Exception {
        TestDatabase db = POSTGRES.database();
        breakForgettingAGoneDrop(db);
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());
        service.engine().beforePartition(leaf -> {
            if (leaf.table().equals("rc_mar")) {
                throwUnchecked(new SQLException("rc_mar broke"));
            }
        });

        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.FAILED);
        assertThat(next.error()).contains("rc_mar broke").contains("public.rc_gone").contains("cannot forget it");
    }

    @Test
    void aNodeDyingBeforeTheDetachLeavesThePartitionToTheNextRunsJudgement() throws SQLException {
        TestDatabase db = POSTGRES.database();
        PurgeService crashing = PurgeFixture.start(db, dropping("rd"), batches());
        crashing.engine().beforeDetach(leaf -> {
            throw new NodeDied();
        });
        assertThatThrownBy(() -> crashing.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)))
                .isInstanceOf(NodeDied.class);
        assertThat(partitionState(db, "public.rd_old1")).isEqualTo("attached");

        PurgeService service = PurgeFixture.start(db, dropping("rd"), batches());
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, "public.rd_old1")).isFalse();
        assertThat(partitionsOf(service, next.runId()).get("public.rd_old1").note())
                .startsWith("dropped whole: every row expired by its bounds");
        assertThat(unfinishedDrops(db)).isZero();
    }

    @Test
    void aPartitionThatCannotBeAttachedAgainFailsEveryRunNamingTheCommandAndTheRestIsStillPurged() throws Exception {
        TestDatabase db = POSTGRES.database();
        crashAfterTheDetach(db, "rc", "rc_jan");
        db.execute("INSERT INTO public.rc_jan (tag, created_at, expires_at) VALUES ('late live', '2026-01-20',"
                + " now() + interval '30 days')");
        // Meanwhile someone made a new partition for its range: attaching it again would overlap.
        db.execute("CREATE TABLE public.rc_jan_new PARTITION OF public.rc"
                + " FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')");
        db.execute("INSERT INTO public.rc (tag, created_at, expires_at) SELECT 'doomed', '2026-01-15',"
                + " now() - interval '1 day' FROM generate_series(1, 30)");
        db.execute("INSERT INTO public.rc (tag, created_at, expires_at) VALUES ('live', '2026-01-15',"
                + " now() + interval '30 days')");
        PurgeService service = PurgeFixture.start(db, dropping("rc"), batches());

        for (int run = 0; run < 2; run++) {
            PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.FAILED);
            assertThat(next.error()).contains("public.rc_jan").contains("ALTER TABLE \"public\".\"rc\" ATTACH PARTITION"
                    + " \"public\".\"rc_jan\" FOR VALUES FROM ('2026-01-01 00:00:00");
            assertThat(db.queryLong("SELECT count(*) FROM public.rc WHERE tag = 'doomed'")).isZero();
            assertThat(db.queryLong("SELECT count(*) FROM public.rc_jan")).isEqualTo(601);
            assertThat(unfinishedDrops(db)).isEqualTo(1);
        }
    }

    @Test
    void aRunThatDoesNotFinishADropLeftUnfinishedSaysWhatToRunEveryTime() throws Exception {
        TestDatabase db = POSTGRES.database();
        crashAfterTheDetach(db, "rc", "rc_jan");
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(PendingPartitionDrops.class);
        logger.addAppender(log);
        try {
            PurgeService rowByRow = PurgeFixture.start(db, PurgeFixture.refreshTokensOnly("public", "rc", "expires_at",
                    "revoked"), batches());
            PurgeResult run = rowByRow.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
            // The run's history says so too.
            assertThat(partitionsOf(rowByRow, run.runId()).get("public.rc_jan").note())
                    .contains("dropDoomedPartitions is off");
            assertThat(PurgeFixture.start(db, dropping("rc"), batches()).run(JobName.REFRESH_TOKENS,
                    PurgeRequest.cli(true)).status()).isEqualTo(RunStatus.SUCCEEDED);
        } finally {
            logger.detachAppender(log);
        }

        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                .hasSize(2)
                .allSatisfy(line -> assertThat(line).contains("the drop of partition public.rc_jan")
                        .contains("ALTER TABLE \"public\".\"rc\" ATTACH PARTITION \"public\".\"rc_jan\" FOR VALUES")
                        .contains("DROP TABLE \"public\".\"rc_jan\""))
                .anySatisfy(line -> assertThat(line).contains("dropDoomedPartitions is off"))
                .anySatisfy(line -> assertThat(line).contains("a dry run changes nothing"));
        assertThat(db.queryLong("SELECT count(*) FROM public.rc_jan")).isEqualTo(600);
        assertThat(unfinishedDrops(db)).isEqualTo(1);
    }

    /** Reading the reminders must not keep a run that does not drop partitions from purging: it goes on, with a WARN. */
    @Test
    void aRunThatCannotReadTheDropsLeftUnfinishedStillPurgesItsPartitions() throws Exception {
        TestDatabase db = POSTGRES.database();
        long doomed = db.queryLong("SELECT count(*) FROM public.rc WHERE revoked OR expires_at < now()");
        PurgeService rowByRow = PurgeFixture.start(db, PurgeFixture.refreshTokensOnly("public", "rc", "expires_at",
                "revoked"), batches());
        db.execute("ALTER TABLE sweeper.partition_drops RENAME TO partition_drops_away");
        PurgeResult run;
        try {
            run = rowByRow.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        } finally {
            db.execute("ALTER TABLE sweeper.partition_drops_away RENAME TO partition_drops");
        }

        assertThat(run.status()).as(run.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(run.rowsDeleted()).isEqualTo(doomed).isPositive();
    }

    /** The record a node writes before it detaches {@code leaf} to drop it; returns the partition's OID. */
    private static long recordDrop(TestDatabase db, String parent, String leaf) {
        long oid = db.queryLong("SELECT to_regclass(?)::oid::bigint", "public." + leaf);
        db.execute("INSERT INTO sweeper.partition_drops (job, parent_schema, parent_table, partition_schema,"
                + " partition_table, partition_oid, bound, reason, run_id) SELECT 'refresh-tokens', 'public', '"
                + parent + "', 'public', '" + leaf + "', oid, pg_get_expr(relpartbound, oid), 'every row doomed',"
                + " 1 FROM pg_class WHERE oid = " + oid);
        return oid;
    }

    /**
     * A drop left unfinished of public.rc_gone, a partition dropped since, whose record cannot be deleted (a trigger
     * refuses it): a persistent SQL error at each run that finishes it.
     */
    private static void breakForgettingAGoneDrop(TestDatabase db) {
        db.execute("CREATE TABLE public.rc_gone PARTITION OF public.rc"
                + " FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')");
        recordDrop(db, "rc", "rc_gone");
        db.execute("""
                DROP TABLE public.rc_gone;
                CREATE OR REPLACE FUNCTION sweeper.refuse_forget() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN RAISE EXCEPTION 'cannot forget it'; END $$;
                DROP TRIGGER IF EXISTS refuse_forget ON sweeper.partition_drops;
                CREATE TRIGGER refuse_forget BEFORE DELETE ON sweeper.partition_drops FOR EACH ROW
                  WHEN (OLD.partition_table = 'rc_gone') EXECUTE FUNCTION sweeper.refuse_forget();
                """);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void throwUnchecked(Throwable e) throws E {
        throw (E) e;
    }

    @Test
    void aDropLeftUnfinishedOfAnotherTablesPartitionIsNotedAtEachRunAndLeftAsItIs() throws Exception {
        TestDatabase db = POSTGRES.database();
        // The job's table was rd when its node died mid-drop; it is rc now.
        crashAfterTheDetach(db, "rd", "rd_old1");

        for (CleanupFactory config : List.of(dropping("rc"), PurgeFixture.refreshTokensOnly("public", "rc",
                "expires_at", "revoked"))) {
            PurgeService service = PurgeFixture.start(db, config, batches());
            PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(partitionsOf(service, next.runId()).get("public.rd_old1").note()).contains("public.rd");
            assertThat(db.queryLong("SELECT count(*) FROM public.rd_old1")).isEqualTo(700);
            assertThat(unfinishedDrops(db)).isEqualTo(1);
        }
    }

    /** A run that succeeded and dropped {@code partition} whole with its {@code rows}: its line in the run's report. */
    private static PartitionRun droppedWhole(TestDatabase db, PurgeService service, PurgeResult run, String partition,
                                             long rows) throws SQLException {
        assertThat(run.status()).as(run.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(exists(db, partition)).isFalse();
        PartitionRun dropped = partitionsOf(service, run.runId()).get(partition);
        assertThat(dropped.dropped()).isTrue();
        assertThat(dropped.rowsDeleted()).isEqualTo(rows);
        return dropped;
    }

    /** "attached", "detach pending", or null when the table is no partition. */
    private static String partitionState(TestDatabase db, String table) {
        return db.queryString("SELECT CASE WHEN inhdetachpending THEN 'detach pending' ELSE 'attached' END"
                + " FROM pg_inherits WHERE inhrelid = to_regclass(?)", table);
    }

    private static long unfinishedDrops(TestDatabase db) {
        return db.queryLong("SELECT count(*) FROM sweeper.partition_drops");
    }

    private static List<PartitionRun> partitionRuns(PurgeService service, long runId, String partition)
            throws SQLException {
        return service.history().recent(JobName.REFRESH_TOKENS, 10).stream().filter(r -> r.id() == runId)
                .findFirst().orElseThrow().partitions().stream().filter(p -> p.partition().equals(partition))
                .toList();
    }

    /**
     * A run whose node dies after {@code leaf} was detached and its DROP TABLE done, before that commits: the drop's
     * transaction waits for the run's history row (held here), and its backend is terminated there. Returns the
     * run's id; the partition is left a table of its own.
     */
    private static long crashAfterTheDetach(TestDatabase db, String parent, String leaf) throws Exception {
        PurgeService service = PurgeFixture.start(db, dropping(parent), batches());
        try (Connection locker = db.dataSource().getConnection()) {
            locker.setAutoCommit(false);
            service.engine().beforeDetach(partition -> {
                if (partition.table().equals(leaf)) {
                    execute(locker, "SELECT 1 FROM sweeper.cleanup_runs WHERE status = 'running' FOR UPDATE");
                }
            });
            CompletableFuture<Void> death = CompletableFuture.runAsync(() -> {
                terminate(db, awaitSession(db, "wait_event_type = 'Lock' AND query LIKE 'UPDATE%cleanup_runs%'"));
                try {
                    locker.rollback();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            PurgeResult crashed = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            death.get(30, TimeUnit.SECONDS);
            assertThat(exists(db, "public." + leaf)).isTrue();
            assertThat(partitionState(db, "public." + leaf)).isNull();
            return crashed.runId();
        }
    }

    /**
     * A run whose node dies while its concurrent detach of {@code leaf} waits for a transaction that read the table
     * (after the detach's first transaction): the partition is left "detach pending". Returns the run's id.
     */
    private static long crashWhileTheDetachWaits(TestDatabase db, String parent, String leaf) throws Exception {
        PurgeService service = PurgeFixture.start(db, dropping(parent), batches());
        try (Connection reader = db.dataSource().getConnection()) {
            reader.setAutoCommit(false);
            service.engine().beforeDetach(partition -> execute(reader, "SELECT count(*) FROM public." + parent));
            CompletableFuture<Void> death = CompletableFuture.runAsync(() -> terminate(db, awaitSession(db,
                    "query LIKE '%DETACH PARTITION%" + leaf + "%' AND EXISTS (SELECT 1 FROM pg_inherits"
                            + " WHERE inhrelid = 'public." + leaf + "'::regclass AND inhdetachpending)")));
            PurgeResult crashed = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            death.get(30, TimeUnit.SECONDS);
            reader.rollback();
            return crashed.runId();
        }
    }

    /** The pid of a session of this database that matches {@code where}, once there is one. */
    private static int awaitSession(TestDatabase db, String where) {
        String pid = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                .until(() -> db.queryString("SELECT pid::text FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND pid <> pg_backend_pid() AND " + where + " LIMIT 1"), Objects::nonNull);
        return Integer.parseInt(pid);
    }

    private static void terminate(TestDatabase db, int pid) {
        assertThat(db.queryString("SELECT pg_terminate_backend(?)::text", pid)).isEqualTo("true");
    }

    private static void execute(Connection connection, String sql) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
