package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.api.RunView;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Declaratively partitioned targets: each leaf partition (range, list, hash, sub-partitions, a default partition) is
 * purged as a target of its own under the parent's fence, exactly the doomed rows go, each partition is reported,
 * and partitions detached, dropped or attached during the run are handled.
 */
class PartitionedTargetTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final CleanupFactory CONFIG =
            PurgeFixture.refreshTokensOnly("public", "rt", "expires_at", "revoked");
    private static final String ROLE = "partition_purger";
    private static final String PASSWORD = "partition-purger-pw";

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    /**
     * public.rt by RANGE (expires_at): rt_old (all expired), rt_now sub-partitioned by LIST (revoked) into
     * rt_now_revoked and rt_now_kept, rt_later, and the default partition rt_default (beyond 30 days).
     */
    @BeforeEach
    void freshTable() {
        POSTGRES.database().execute("""
                DROP TABLE IF EXISTS public.rt, public.rt_late, public.rl CASCADE;
                DROP TABLE IF EXISTS public.rt_old, public.rt_now_revoked, public.rt_later;
                CREATE TABLE public.rt (id bigserial, tag text NOT NULL, expires_at timestamptz NOT NULL,
                  revoked boolean NOT NULL DEFAULT false, PRIMARY KEY (id, expires_at, revoked))
                  PARTITION BY RANGE (expires_at);
                CREATE TABLE public.rt_old PARTITION OF public.rt
                  FOR VALUES FROM (MINVALUE) TO (now() - interval '5 days');
                CREATE TABLE public.rt_now PARTITION OF public.rt
                  FOR VALUES FROM (now() - interval '5 days') TO (now() + interval '5 days') PARTITION BY LIST (revoked);
                CREATE TABLE public.rt_now_revoked PARTITION OF public.rt_now FOR VALUES IN (true);
                CREATE TABLE public.rt_now_kept PARTITION OF public.rt_now FOR VALUES IN (false);
                CREATE TABLE public.rt_later PARTITION OF public.rt
                  FOR VALUES FROM (now() + interval '5 days') TO (now() + interval '30 days');
                CREATE TABLE public.rt_default PARTITION OF public.rt DEFAULT;
                CREATE INDEX ON public.rt (expires_at);
                CREATE INDEX ON public.rt (expires_at) WHERE revoked;
                INSERT INTO public.rt (tag, expires_at, revoked)
                  SELECT 'doomed', now() - interval '10 days' - i * interval '1 minute', i % 2 = 0
                  FROM generate_series(1, 3000) i;
                INSERT INTO public.rt (tag, expires_at, revoked)
                  SELECT 'doomed', now() - interval '1 day' - i * interval '1 second', i % 5 = 0
                  FROM generate_series(1, 1500) i;
                INSERT INTO public.rt (tag, expires_at, revoked)
                  SELECT 'doomed', now() + interval '1 day' + i * interval '1 second', true FROM generate_series(1, 500) i;
                INSERT INTO public.rt (tag, expires_at, revoked)
                  SELECT 'live', now() + interval '1 hour' + i * interval '1 minute', false
                  FROM generate_series(1, 1000) i;
                INSERT INTO public.rt (tag, expires_at, revoked)
                  SELECT CASE WHEN i % 6 = 0 THEN 'doomed' ELSE 'live' END, now() + interval '10 days'
                  + i * interval '1 minute', i % 6 = 0 FROM generate_series(1, 1200) i;
                INSERT INTO public.rt (tag, expires_at, revoked)
                  SELECT CASE WHEN i % 4 = 0 THEN 'doomed' ELSE 'live' END, now() + interval '60 days'
                  + i * interval '1 minute', i % 4 = 0 FROM generate_series(1, 400) i;
                ANALYZE public.rt;
                TRUNCATE sweeper.cleanup_runs;
                """);
    }

    /** The ways a run can go through a leaf: each method, and the heap walk with parallel workers. */
    enum Way {
        HEAP(PurgeMethod.HEAP, 1), INDEX(PurgeMethod.INDEX, 1), HEAP_3_WORKERS(PurgeMethod.HEAP, 3);

        final PurgeMethod method;
        final int workers;

        Way(PurgeMethod method, int workers) {
            this.method = method;
            this.workers = workers;
        }
    }

    private static BatchSettings batches(Way way) {
        return PurgeFixture.SMALL_BATCHES.withSize(100).withMethod(Optional.of(way.method)).withWorkers(way.workers);
    }

    /** Doomed rows per leaf partition, by the tag the rows were seeded with. */
    private static Map<String, Long> doomedPerLeaf(TestDatabase db, String table) {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection connection = db.dataSource().getConnection()) {
            io.tokensweeper.db.Jdbc.list(connection, "SELECT n.nspname || '.' || c.relname,"
                            + " (SELECT count(*) FROM " + table + " r WHERE r.tableoid = c.oid AND r.tag = 'doomed')"
                            + " FROM pg_partition_tree(?::regclass) t JOIN pg_class c ON c.oid = t.relid"
                            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' ORDER BY 1",
                    rs -> counts.put(rs.getString(1), rs.getLong(2)), table);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return counts;
    }

    private static Map<String, PartitionRun> partitionsOf(PurgeService service, long runId) throws SQLException {
        RunRecord run = service.history().recent(JobName.REFRESH_TOKENS, 10).stream()
                .filter(r -> r.id() == runId).findFirst().orElseThrow();
        assertThat(RunView.of(run).partitions()).isEqualTo(run.partitions());
        return run.partitions().stream().collect(Collectors.toMap(PartitionRun::partition, p -> p,
                (a, b) -> a, LinkedHashMap::new));
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void eachLeafOfARangeTableWithSubPartitionsAndADefaultLosesExactlyItsDoomedRows(Way way) throws SQLException {
        TestDatabase db = POSTGRES.database();
        Map<String, Long> expected = doomedPerLeaf(db, "public.rt");
        long doomed = expected.values().stream().mapToLong(Long::longValue).sum();
        long live = db.queryLong("SELECT count(*) FROM public.rt WHERE tag = 'live'");
        assertThat(expected).containsOnlyKeys("public.rt_default", "public.rt_later", "public.rt_now_kept",
                "public.rt_now_revoked", "public.rt_old");
        assertThat(expected.values()).allMatch(n -> n > 0);

        PurgeService service = PurgeFixture.start(db, CONFIG, batches(way));
        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(doomed);
        assertThat(db.queryLong("SELECT count(*) FROM public.rt WHERE tag = 'doomed'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.rt WHERE tag = 'live'")).isEqualTo(live);
        Map<String, PartitionRun> partitions = partitionsOf(service, result.runId());
        assertThat(partitions.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((leaf, rows) -> {
            assertThat(partitions.get(leaf).rowsDeleted()).as(leaf).isEqualTo(rows);
            assertThat(partitions.get(leaf).note()).as(leaf).isNull();
        });
        // Each leaf chooses for itself: a forced index walk still falls back to the heap where the planner would
        // scan (the 400-row default partition); the run's method is the leaves' one, or null when they differ.
        assertThat(partitions.get("public.rt_old").method()).isEqualTo(way.method.id());
        if (way.method == PurgeMethod.HEAP) {
            assertThat(partitions.values()).allMatch(p -> p.method().equals("heap"));
        }
        java.util.Set<String> methods = partitions.values().stream().map(PartitionRun::method)
                .collect(Collectors.toSet());
        assertThat(result.method() == null ? null : result.method().id())
                .isEqualTo(methods.size() == 1 ? methods.iterator().next() : null);
        assertThat(partitions.values().stream().mapToInt(PartitionRun::batches).sum()).isEqualTo(result.batches());
        assertThat(db.queryString("SELECT rows_deleted || '/' || batches FROM sweeper.cleanup_runs WHERE id = ?",
                result.runId())).isEqualTo(doomed + "/" + result.batches());
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIST (client)", "HASH (id)"})
    void listAndHashPartitionedTargetsLoseExactlyTheirDoomedRows(String scheme) throws SQLException {
        TestDatabase db = POSTGRES.database();
        String partitions = scheme.startsWith("LIST")
                ? """
                CREATE TABLE public.rl_web PARTITION OF public.rl FOR VALUES IN ('web');
                CREATE TABLE public.rl_mobile PARTITION OF public.rl FOR VALUES IN ('mobile', 'tv');
                CREATE TABLE public.rl_other PARTITION OF public.rl DEFAULT;
                """
                : """
                CREATE TABLE public.rl_0 PARTITION OF public.rl FOR VALUES WITH (MODULUS 3, REMAINDER 0);
                CREATE TABLE public.rl_1 PARTITION OF public.rl FOR VALUES WITH (MODULUS 3, REMAINDER 1);
                CREATE TABLE public.rl_2 PARTITION OF public.rl FOR VALUES WITH (MODULUS 3, REMAINDER 2);
                """;
        db.execute("CREATE TABLE public.rl (id bigserial, client text NOT NULL, tag text NOT NULL,"
                + " expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false) PARTITION BY " + scheme
                + ";" + partitions
                + "INSERT INTO public.rl (client, tag, expires_at, revoked) SELECT (ARRAY['web', 'mobile', 'tv', 'cli'])"
                + "[1 + i % 4], CASE WHEN i % 3 = 0 THEN 'live' ELSE 'doomed' END, CASE WHEN i % 3 = 1"
                + " THEN now() - interval '1 day' ELSE now() + interval '1 day' END, i % 3 = 2"
                + " FROM generate_series(1, 3000) i;");
        Map<String, Long> expected = doomedPerLeaf(db, "public.rl");
        assertThat(expected).hasSize(3);

        PurgeService service = PurgeFixture.start(db,
                PurgeFixture.refreshTokensOnly("public", "rl", "expires_at", "revoked"), batches(Way.HEAP));
        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(2000);
        assertThat(db.queryLong("SELECT count(*) FROM public.rl WHERE tag = 'doomed'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public.rl WHERE tag = 'live'")).isEqualTo(1000);
        Map<String, PartitionRun> reported = partitionsOf(service, result.runId());
        expected.forEach((leaf, rows) -> assertThat(reported.get(leaf).rowsDeleted()).as(leaf).isEqualTo(rows));
    }

    @Test
    void theCatalogCheckDescribesWhatItFound() throws SQLException {
        TestDatabase db = POSTGRES.database();
        try (Connection connection = db.dataSource().getConnection()) {
            long oid = db.queryLong("SELECT 'public.rt'::regclass::oid::bigint");
            assertThat(Partitions.describe(connection, oid, false)).isEqualTo("partitioned by RANGE (expires_at),"
                    + " 5 leaf partitions (1 default), 1 sub-partitioned, each leaf purged in turn, row by row");
        }
        PurgeTarget target = new TargetCatalog(db.dataSource()).resolve(CONFIG.getRefreshTokens());
        assertThat(target.partitioned()).isTrue();
        assertThat(target.partitionOf()).isEmpty();
        // GET /jobs shows it as the catalog has it now.
        PurgeService service = PurgeFixture.start(db, CONFIG, batches(Way.HEAP));
        db.execute("CREATE TABLE public.rt_late PARTITION OF public.rt"
                + " FOR VALUES FROM (now() + interval '30 days') TO (now() + interval '40 days')");
        assertThat(service.partitioning(JobName.REFRESH_TOKENS)).hasValue("partitioned by RANGE (expires_at),"
                + " 6 leaf partitions (1 default), 1 sub-partitioned, each leaf purged in turn, row by row");
    }

    @Test
    void aDryRunCountsEachLeafAndDeletesNothing() throws SQLException {
        TestDatabase db = POSTGRES.database();
        Map<String, Long> expected = doomedPerLeaf(db, "public.rt");
        long rows = db.queryLong("SELECT count(*) FROM public.rt");
        PurgeService service = PurgeFixture.start(db, CONFIG, batches(Way.HEAP));

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(true));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(expected.values().stream().mapToLong(Long::longValue).sum());
        assertThat(db.queryLong("SELECT count(*) FROM public.rt")).isEqualTo(rows);
        Map<String, PartitionRun> reported = partitionsOf(service, result.runId());
        expected.forEach((leaf, n) -> assertThat(reported.get(leaf).rowsDeleted()).as(leaf).isEqualTo(n));
    }

    @Test
    void leavesDetachedOrDroppedDuringTheRunAreSkippedAndOneAttachedIsTheNextRuns() throws SQLException {
        TestDatabase db = POSTGRES.database();
        long oldRows = db.queryLong("SELECT count(*) FROM public.rt_old");
        long doomedInLeft = db.queryLong("SELECT count(*) FROM public.rt WHERE tag = 'doomed' AND tableoid IN"
                + " ('public.rt_default'::regclass, 'public.rt_later'::regclass, 'public.rt_now_kept'::regclass)");
        PurgeService service = PurgeFixture.start(db, CONFIG, batches(Way.HEAP));
        // Leaves go by name: rt_default, rt_later, rt_now_kept, rt_now_revoked, rt_old. After the first, the auth
        // team detaches rt_old, drops rt_now_revoked and attaches rt_late with doomed rows.
        service.engine().beforePartition(leaf -> {
            if (leaf.table().equals("rt_later")) {
                db.execute("""
                        ALTER TABLE public.rt DETACH PARTITION public.rt_old;
                        DROP TABLE public.rt_now_revoked;
                        CREATE TABLE public.rt_late (LIKE public.rt INCLUDING DEFAULTS);
                        INSERT INTO public.rt_late (id, tag, expires_at, revoked)
                          SELECT -i, 'doomed', now() + interval '35 days', true FROM generate_series(1, 50) i;
                        ALTER TABLE public.rt ATTACH PARTITION public.rt_late
                          FOR VALUES FROM (now() + interval '30 days') TO (now() + interval '40 days');
                        """);
            }
        });

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(doomedInLeft);
        Map<String, PartitionRun> reported = partitionsOf(service, result.runId());
        assertThat(reported.keySet()).containsExactly("public.rt_default", "public.rt_later", "public.rt_now_kept",
                "public.rt_now_revoked", "public.rt_old");
        assertThat(reported.get("public.rt_old").note()).contains("detached or dropped");
        assertThat(reported.get("public.rt_now_revoked").note()).contains("detached or dropped");
        assertThat(reported.get("public.rt_old").rowsDeleted()).isZero();
        // The detached table is no longer the target's: untouched.
        assertThat(db.queryLong("SELECT count(*) FROM public.rt_old")).isEqualTo(oldRows);
        assertThat(db.queryLong("SELECT count(*) FROM public.rt_late")).isEqualTo(50);

        service.engine().beforePartition(leaf -> { });
        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(next.rowsDeleted()).isEqualTo(50);
        assertThat(partitionsOf(service, next.runId()).get("public.rt_late").rowsDeleted()).isEqualTo(50);
        assertThat(db.queryLong("SELECT count(*) FROM public.rt WHERE tag = 'doomed'")).isZero();
    }

    @Test
    void theGuardStopsABatchOnALeafDetachedDuringIt() throws SQLException {
        TestDatabase db = POSTGRES.database();
        PurgeTarget parent = new TargetCatalog(db.dataSource()).resolve(CONFIG.getRefreshTokens());
        PurgeTarget leaf = parent.withTable("public", "rt_later");
        long leafOid = db.queryLong("SELECT 'public.rt_later'::regclass::oid::bigint");
        TableGuard guard = new TableGuard(leaf, leafOid);
        try (Connection connection = db.dataSource().getConnection()) {
            guard.check(connection);
            db.execute("ALTER TABLE public.rt DETACH PARTITION public.rt_later");
            assertThatThrownBy(() -> guard.check(connection)).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo(TableGuard.DETACHED));
        }
    }

    @Test
    void aRoleWithoutPrivilegesOnEachLeafIsRefusedAtStartNamingTheLeaf() {
        TestDatabase db = POSTGRES.database();
        db.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                + " CREATE ROLE " + ROLE + " LOGIN; END IF; END $$");
        db.execute("ALTER ROLE " + ROLE + " PASSWORD '" + PASSWORD + "';"
                + " GRANT USAGE ON SCHEMA public TO " + ROLE + ";"
                + " GRANT SELECT, DELETE ON public.rt TO " + ROLE + ";"
                + " GRANT SELECT, DELETE ON public.rt_old, public.rt_now_kept, public.rt_now_revoked, public.rt_later"
                + " TO " + ROLE + ";");
        try (TestDatabase asRole = new TestDatabase(db.url(), ROLE, PASSWORD)) {
            assertThatThrownBy(() -> new TargetCatalog(asRole.dataSource()).resolve(CONFIG.getRefreshTokens()))
                    .isInstanceOf(TargetConfigurationException.class)
                    .hasMessageContaining("cleanup.refreshTokens.table: database user " + ROLE
                            + " may not SELECT and DELETE on partition public.rt_default of public.rt");
            db.execute("GRANT SELECT, DELETE ON public.rt_default TO " + ROLE);
            assertThat(new TargetCatalog(asRole.dataSource()).resolve(CONFIG.getRefreshTokens()).partitioned())
                    .isTrue();
        } finally {
            db.execute("DROP OWNED BY " + ROLE);
        }
    }
}
