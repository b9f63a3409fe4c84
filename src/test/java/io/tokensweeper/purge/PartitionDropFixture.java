package io.tokensweeper.purge;

import io.tokensweeper.testing.TestDatabase;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The partitioned tables and settings of the whole-partition drop's tests. */
final class PartitionDropFixture {
    private PartitionDropFixture() {
    }

    /**
     * public.rd by RANGE (expires_at), no default: rd_old1 and rd_old2 wholly expired, rd_now sub-partitioned by LIST
     * (revoked) whose rd_now_revoked is wholly doomed, rd_later mostly live. public.rc by RANGE (created_at): rc_jan
     * wholly doomed, rc_feb doomed but for one live row, rc_mar mixed.
     */
    static void createTables(TestDatabase db) {
        db.execute("""
                DROP TABLE IF EXISTS public.rd, public.rc, public.rd_old1, public.rd_old2, public.rc_jan CASCADE;
                CREATE TABLE public.rd (id bigserial, tag text NOT NULL, expires_at timestamptz NOT NULL,
                  revoked boolean NOT NULL DEFAULT false) PARTITION BY RANGE (expires_at);
                CREATE TABLE public.rd_old1 PARTITION OF public.rd FOR VALUES FROM (MINVALUE) TO (now() - interval '20 days');
                CREATE TABLE public.rd_old2 PARTITION OF public.rd
                  FOR VALUES FROM (now() - interval '20 days') TO (now() - interval '10 days');
                CREATE TABLE public.rd_now PARTITION OF public.rd
                  FOR VALUES FROM (now() - interval '10 days') TO (now() + interval '10 days') PARTITION BY LIST (revoked);
                CREATE TABLE public.rd_now_revoked PARTITION OF public.rd_now FOR VALUES IN (true);
                CREATE TABLE public.rd_now_kept PARTITION OF public.rd_now FOR VALUES IN (false);
                CREATE TABLE public.rd_later PARTITION OF public.rd
                  FOR VALUES FROM (now() + interval '10 days') TO (now() + interval '1 year');
                INSERT INTO public.rd (tag, expires_at) SELECT 'doomed', now() - interval '30 days' - i * interval '1 minute'
                  FROM generate_series(1, 700) i;
                INSERT INTO public.rd (tag, expires_at) SELECT 'doomed', now() - interval '15 days' + i * interval '1 second'
                  FROM generate_series(1, 500) i;
                INSERT INTO public.rd (tag, expires_at, revoked) SELECT 'doomed', now() + interval '1 day', true
                  FROM generate_series(1, 300) i;
                INSERT INTO public.rd (tag, expires_at, revoked) SELECT CASE WHEN i % 2 = 0 THEN 'doomed' ELSE 'live' END,
                  now() + CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END * interval '1 day', false FROM generate_series(1, 400) i;
                INSERT INTO public.rd (tag, expires_at, revoked) SELECT CASE WHEN i % 10 = 0 THEN 'doomed' ELSE 'live' END,
                  now() + interval '20 days', i % 10 = 0 FROM generate_series(1, 600) i;
                CREATE TABLE public.rc (id bigserial, tag text NOT NULL, created_at timestamptz NOT NULL,
                  expires_at timestamptz, revoked boolean NOT NULL DEFAULT false) PARTITION BY RANGE (created_at);
                CREATE TABLE public.rc_jan PARTITION OF public.rc FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
                CREATE TABLE public.rc_feb PARTITION OF public.rc FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
                CREATE TABLE public.rc_mar PARTITION OF public.rc FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
                INSERT INTO public.rc (tag, created_at, expires_at, revoked)
                  SELECT 'doomed', timestamptz '2026-01-10' + i * interval '1 minute',
                  CASE WHEN i % 3 = 0 THEN now() + interval '1 day' ELSE now() - interval '1 day' END, i % 3 = 0
                  FROM generate_series(1, 600) i;
                INSERT INTO public.rc (tag, created_at, expires_at) SELECT 'doomed',
                  timestamptz '2026-02-10' + i * interval '1 minute', now() - interval '1 day' FROM generate_series(1, 400) i;
                INSERT INTO public.rc (tag, created_at, expires_at) VALUES ('live', '2026-02-20', now() + interval '30 days');
                INSERT INTO public.rc (tag, created_at, expires_at) SELECT CASE WHEN i % 2 = 0 THEN 'doomed' ELSE 'live' END,
                  timestamptz '2026-03-10' + i * interval '1 minute',
                  now() + CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END * interval '1 day' FROM generate_series(1, 300) i;
                TRUNCATE sweeper.cleanup_runs, sweeper.partition_drops;
                """);
    }


    static CleanupFactory dropping(String table) {
        CleanupFactory config = PurgeFixture.refreshTokensOnly("public", table, "expires_at", "revoked");
        config.getRefreshTokens().setDropDoomedPartitions(true);
        return config;
    }

    static BatchSettings batches() {
        return PurgeFixture.SMALL_BATCHES.withSize(100).withMethod(Optional.of(PurgeMethod.HEAP));
    }

    static boolean exists(TestDatabase db, String table) {
        return db.queryLong("SELECT count(*) FROM pg_class WHERE oid = to_regclass(?)", table) > 0;
    }

    static Map<String, PartitionRun> partitionsOf(PurgeService service, long runId) throws SQLException {
        RunRecord run = service.history().recent(JobName.REFRESH_TOKENS, 10).stream()
                .filter(r -> r.id() == runId).findFirst().orElseThrow();
        return run.partitions().stream().collect(Collectors.toMap(PartitionRun::partition, p -> p, (a, b) -> a,
                LinkedHashMap::new));
    }
}
