package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Both ways of finding doomed rows delete exactly the doomed rows: with keys shared by many rows across batch
 * boundaries, rows that cannot be deleted, and the auth service inserting and changing rows during the run.
 */
class PurgeMethodTest {
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
                DROP TABLE IF EXISTS public.sessions, public.refresh_tokens, public.delete_backends;
                CREATE TABLE public.delete_backends (pid int);
                CREATE OR REPLACE FUNCTION public.log_delete_backend() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO public.delete_backends VALUES (pg_backend_pid()); RETURN NULL; END $$;
                CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, tag text NOT NULL,
                  expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false);
                CREATE INDEX refresh_tokens_expires_at_idx ON public.refresh_tokens (expires_at);
                CREATE INDEX refresh_tokens_revoked_idx ON public.refresh_tokens (expires_at) WHERE revoked;
                CREATE TABLE public.sessions (id bigserial PRIMARY KEY,
                  token_id bigint REFERENCES public.refresh_tokens (id));
                CREATE INDEX ON public.sessions (token_id);
                -- Which sessions deleted: parallel workers are separate backends.
                CREATE TRIGGER log_delete_backend AFTER DELETE ON public.refresh_tokens
                  FOR EACH STATEMENT EXECUTE FUNCTION public.log_delete_backend();
                TRUNCATE sweeper.cleanup_runs;
                """);
    }

    /** The ways a run can go: each method, and the heap walk with parallel workers. */
    enum Way {
        HEAP(PurgeMethod.HEAP, 1), INDEX(PurgeMethod.INDEX, 1), HEAP_3_WORKERS(PurgeMethod.HEAP, 3);

        final PurgeMethod method;
        final int workers;

        Way(PurgeMethod method, int workers) {
            this.method = method;
            this.workers = workers;
        }
    }

    private static BatchSettings batches(Way way, int size) {
        return PurgeFixture.SMALL_BATCHES.withSize(size).withMethod(Optional.of(way.method)).withWorkers(way.workers);
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void eachMethodDeletesExactlyTheDoomedRowsAcrossTiedKeysAndRowsItMustKeep(Way way) {
        TestDatabase db = POSTGRES.database();
        // Five expiry instants shared by 600 rows each, walked 50 rows at a time: every batch but a few ends
        // inside a run of equal keys. Revoked rows that have not expired share keys too.
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'expired',"
                + " date_trunc('day', now()) - (1 + i % 5) * interval '1 day', false FROM generate_series(1, 3000) i");
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'revoked',"
                + " date_trunc('day', now()) + (1 + i % 3) * interval '1 day', true FROM generate_series(1, 500) i");
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'live',"
                + " now() + (i % 7) * interval '1 hour' + interval '1 hour', false FROM generate_series(1, 2000) i");
        // Doomed rows still referenced, in the middle of a run of tied keys: kept, reported, not a wall.
        db.execute("INSERT INTO public.sessions (token_id) SELECT id FROM public.refresh_tokens"
                + " WHERE tag = 'expired' ORDER BY id OFFSET 1200 LIMIT 5");
        Set<Long> expected = ids(db, "SELECT id FROM public.refresh_tokens WHERE tag = 'live'"
                + " OR id IN (SELECT token_id FROM public.sessions)");

        PurgeResult result = PurgeFixture.start(db, CONFIG, batches(way, 50))
                .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.method()).isEqualTo(way.method);
        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.PARTIAL);
        assertThat(result.rowsDeleted()).isEqualTo(3_495);
        assertThat(result.rowsSkipped()).isEqualTo(5);
        assertThat(result.skipped()).singleElement().satisfies(group -> assertThat(group.rows()).isEqualTo(5));
        // The history row says exactly the same, whichever worker deleted what.
        assertThat(db.queryString("SELECT rows_deleted || '/' || rows_skipped || '/' || batches FROM"
                + " sweeper.cleanup_runs WHERE id = ?", result.runId()))
                .isEqualTo("3495/5/" + result.batches());
        assertThat(ids(db, "SELECT id FROM public.refresh_tokens")).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void rowsATriggerKeepsWithoutAnErrorAreReportedNotLost(Way way) {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.seedTokens(db, "doomed", 3_000, true);
        PurgeFixture.seedTokens(db, "kept", 7, true);
        PurgeFixture.seedTokens(db, "live", 500, false);
        db.execute("""
                CREATE FUNCTION public.keep_some() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF OLD.tag = 'kept' THEN RETURN NULL; END IF; RETURN OLD; END $$;
                CREATE TRIGGER keep_some BEFORE DELETE ON public.refresh_tokens
                  FOR EACH ROW EXECUTE FUNCTION public.keep_some();
                """);
        try {
            PurgeResult result = PurgeFixture.start(db, CONFIG, batches(way, 100))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.PARTIAL);
            assertThat(result.rowsDeleted()).isEqualTo(3_000);
            assertThat(result.skipped()).singleElement().satisfies(group -> {
                assertThat(group.reason()).isEqualTo(RowDeleter.KEPT_SILENTLY);
                assertThat(group.rows()).isEqualTo(7);
            });
            assertThat(PurgeFixture.countTokens(db, "true")).isEqualTo(507);
        } finally {
            db.execute("DROP TRIGGER keep_some ON public.refresh_tokens; DROP FUNCTION public.keep_some()");
        }
    }

    @Test
    void anIndexWalkBatchTooSlowForStatementTimeoutIsTriedAgainSmallerNotRowByRow() {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.seedTokens(db, "doomed", 1_000, true);
        // Every deleted row costs 2 ms: a batch of 1,000 takes 2 s, over the 500 ms statement_timeout.
        db.execute("""
                CREATE FUNCTION public.slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(0.002); RETURN OLD; END $$;
                CREATE TRIGGER slow_delete BEFORE DELETE ON public.refresh_tokens
                  FOR EACH ROW EXECUTE FUNCTION public.slow_delete();
                """);
        try {
            BatchSettings batch = new BatchSettings(1_000, Duration.ZERO, Duration.ofMillis(100),
                    Duration.ofMillis(500), Duration.ofMinutes(5))
                    .withMethod(Optional.of(PurgeMethod.INDEX));

            PurgeResult result = PurgeFixture.start(db, CONFIG, batch).run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.rowsDeleted()).isEqualTo(1_000);
            assertThat(result.batches()).as("batches (row by row would be one a row)").isLessThan(100);
        } finally {
            db.execute("DROP TRIGGER slow_delete ON public.refresh_tokens; DROP FUNCTION public.slow_delete()");
        }
    }

    @Test
    void anIndexWalkRangeWithRowsThatCannotGoIsDeletedRowByRowAndTheWalkMovesOn() {
        TestDatabase db = POSTGRES.database();
        // Distinct keys, so every batch is a key range; three doomed rows still referenced, in three ranges.
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT 'expired', now() - i * interval '1 second'"
                + " FROM generate_series(1, 1000) i");
        PurgeFixture.seedTokens(db, "live", 200, false);
        db.execute("INSERT INTO public.sessions (token_id) SELECT id FROM public.refresh_tokens WHERE tag = 'expired'"
                + " ORDER BY expires_at OFFSET 150 LIMIT 1");
        db.execute("INSERT INTO public.sessions (token_id) SELECT id FROM public.refresh_tokens WHERE tag = 'expired'"
                + " ORDER BY expires_at OFFSET 420 LIMIT 1");
        db.execute("INSERT INTO public.sessions (token_id) SELECT id FROM public.refresh_tokens WHERE tag = 'expired'"
                + " ORDER BY expires_at DESC LIMIT 1");
        Set<Long> expected = ids(db, "SELECT id FROM public.refresh_tokens WHERE tag = 'live'"
                + " OR id IN (SELECT token_id FROM public.sessions)");

        PurgeResult result = PurgeFixture.start(db, CONFIG, batches(Way.INDEX, 100))
                .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.PARTIAL);
        assertThat(result.rowsDeleted()).isEqualTo(997);
        assertThat(result.rowsSkipped()).isEqualTo(3);
        assertThat(ids(db, "SELECT id FROM public.refresh_tokens")).isEqualTo(expected);
        // Row by row only for the three failed batches' rows: the rest went in ranges of 100.
        assertThat(result.batches()).isLessThan(400);
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void rowsTheAuthServiceChangesDuringTheRunAreJudgedAsTheyAreWhenDeleted(Way way) throws Exception {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.seedTokens(db, "doomed", 20_000, true);
        PurgeFixture.seedTokens(db, "live", 5_000, false);
        Set<Long> seededLive = ids(db, "SELECT id FROM public.refresh_tokens WHERE tag = 'live'");
        List<Long> seededDoomed = new ArrayList<>(ids(db, "SELECT id FROM public.refresh_tokens WHERE tag = 'doomed'"));
        PurgeService service = PurgeFixture.start(db, CONFIG, batches(way, 100));

        Set<Long> mustSurvive = new HashSet<>(seededLive);
        Set<Long> revokedDuringRun = new HashSet<>();
        int changes = 0;
        CompletableFuture<PurgeResult> run = CompletableFuture.supplyAsync(
                () -> service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)));
        SplittableRandom random = new SplittableRandom(7);
        try (Connection auth = db.dataSource().getConnection()) {
            while (!run.isDone()) {
                // A doomed token rescued (its expiry extended) before the purge reached it must survive.
                long rescued = seededDoomed.get(random.nextInt(seededDoomed.size()));
                if (update(auth, "UPDATE public.refresh_tokens SET expires_at = now() + interval '1 day'"
                        + " WHERE id = ?", rescued) == 1) {
                    mustSurvive.add(rescued);
                }
                // A live token revoked during the run is doomed from then on: this run or the next deletes it.
                long revoked = List.copyOf(seededLive).get(random.nextInt(seededLive.size()));
                if (!mustSurvive.contains(revoked) || revokedDuringRun.contains(revoked)) {
                    continue;
                }
                update(auth, "UPDATE public.refresh_tokens SET revoked = true WHERE id = ?", revoked);
                mustSurvive.remove(revoked);
                revokedDuringRun.add(revoked);
                // New tokens, live and already expired, arrive all the time.
                update(auth, "INSERT INTO public.refresh_tokens (tag, expires_at) VALUES ('new-live',"
                        + " now() + interval '1 day'), ('new-doomed', now() - interval '1 day') RETURNING 0", null);
                changes++;
            }
        }
        PurgeResult result = run.get(2, TimeUnit.MINUTES);
        mustSurvive.addAll(ids(db, "SELECT id FROM public.refresh_tokens WHERE tag = 'new-live'"));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.method()).isEqualTo(way.method);
        assertThat(db.queryLong("SELECT rows_deleted FROM sweeper.cleanup_runs WHERE id = ?", result.runId()))
                .isEqualTo(result.rowsDeleted());
        assertThat(changes).as("changes made while the run went on").isPositive();
        assertThat(db.queryLong("SELECT count(DISTINCT pid) FROM public.delete_backends")).as("sessions that deleted")
                .isEqualTo(way.workers);
        assertThat(ids(db, "SELECT id FROM public.refresh_tokens")).containsAll(mustSurvive);

        PurgeResult next = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        assertThat(next.status()).as(next.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(ids(db, "SELECT id FROM public.refresh_tokens")).isEqualTo(mustSurvive);
    }

    @Test
    void anIndexWalkKeyedByAUuidDeletesTheDoomedRows() {
        TestDatabase db = POSTGRES.database();
        // The revoked rows are walked by the uuid key of the partial index that names the marker: a key type the
        // keyset accepts (its text reads back exactly), but one with no min()/max() aggregate.
        db.execute("""
                CREATE TABLE public.uuid_tokens (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tag text NOT NULL,
                  expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false);
                CREATE INDEX uuid_tokens_expires_at_idx ON public.uuid_tokens (expires_at);
                CREATE INDEX uuid_tokens_revoked_idx ON public.uuid_tokens (id) WHERE revoked;
                INSERT INTO public.uuid_tokens (tag, expires_at, revoked)
                  SELECT 'revoked', now() + interval '1 day', true FROM generate_series(1, 300);
                INSERT INTO public.uuid_tokens (tag, expires_at)
                  SELECT 'expired', now() - interval '1 day' FROM generate_series(1, 300);
                INSERT INTO public.uuid_tokens (tag, expires_at)
                  SELECT 'live', now() + interval '1 day' FROM generate_series(1, 20000);
                ANALYZE public.uuid_tokens;
                """);
        try {
            CleanupFactory config = PurgeFixture.refreshTokensOnly("public", "uuid_tokens", "expires_at", "revoked");

            PurgeResult result = PurgeFixture.start(db, config, batches(Way.INDEX, 100))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.method()).isEqualTo(PurgeMethod.INDEX);
            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.rowsDeleted()).isEqualTo(600);
            assertThat(db.queryLong("SELECT count(*) FROM public.uuid_tokens WHERE tag <> 'live'")).isZero();
            assertThat(db.queryLong("SELECT count(*) FROM public.uuid_tokens WHERE tag = 'live'")).isEqualTo(20_000);
        } finally {
            db.execute("DROP TABLE public.uuid_tokens");
        }
    }

    @Test
    void anIndexWalkBoundTooSlowForStatementTimeoutIsTriedAgainSmallerNotTheRunsEnd() {
        TestDatabase db = POSTGRES.database();
        // A million rows deleted and not vacuumed lie at the start of the expiry index: the first bound (an
        // index-only scan read on its own, before any DELETE) must visit the heap for each dead entry, about
        // 200 ms, past the 80 ms statement_timeout. Each try marks the entries it passed as dead, so it gets through.
        db.execute("ALTER TABLE public.refresh_tokens SET (autovacuum_enabled = off)");
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT 'gone',"
                + " now() - interval '10 days' - i * interval '1 ms' FROM generate_series(1, 1000000) i");
        db.execute("DELETE FROM public.refresh_tokens WHERE tag = 'gone'");
        PurgeFixture.seedTokens(db, "doomed", 1_000, true);
        PurgeFixture.seedTokens(db, "live", 100, false);
        BatchSettings batch = new BatchSettings(100, Duration.ZERO, Duration.ofMillis(40), Duration.ofMillis(80),
                Duration.ofMinutes(5)).withMethod(Optional.of(PurgeMethod.INDEX));

        PurgeResult result = PurgeFixture.start(db, CONFIG, batch).run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(1_000);
        assertThat(PurgeFixture.countTokens(db, "true")).isEqualTo(100);
    }

    @Test
    void theRangeWalkDeletesExactlyTheDoomedRowsWhateverTheTiesAndTheBatchSize() {
        TestDatabase db = POSTGRES.database();
        db.execute("""
                CREATE FUNCTION public.keep_kept() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF OLD.tag = 'kept' THEN RETURN NULL; END IF; RETURN OLD; END $$;
                """);
        // Live rows enough for the planner to walk the indexes.
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT 'filler', now() + interval '30 days'"
                + " FROM generate_series(1, 30000)");
        long seed = Long.getLong("rangeWalk.seed", new SplittableRandom().nextLong());
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 12; round++) {
            db.execute("DELETE FROM public.sessions; DELETE FROM public.refresh_tokens WHERE tag <> 'filler';"
                    + " TRUNCATE sweeper.cleanup_runs;"
                    + " DROP TRIGGER IF EXISTS keep_kept ON public.refresh_tokens");
            int keys = 1 + random.nextInt(40);
            int rows = 50 + random.nextInt(500);
            // Few distinct expiry minutes: long runs of equal keys, some longer than a batch.
            db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT CASE WHEN random() < "
                    + random.nextDouble() * 0.05 + " THEN 'kept' ELSE 'doomed' END, date_trunc('hour', now())"
                    + " - interval '1 day' + (floor(random() * " + keys + ") * interval '1 minute'),"
                    + " random() < 0.3 FROM generate_series(1, " + rows + ")");
            db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'revoked',"
                    + " date_trunc('hour', now()) + interval '1 day' + (floor(random() * " + keys + ")"
                    + " * interval '1 minute'), true FROM generate_series(1, " + random.nextInt(300) + ")");
            db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT 'live', now() + interval '1 hour'"
                    + " + (floor(random() * " + keys + ") * interval '1 minute') FROM generate_series(1, 100)");
            db.execute("INSERT INTO public.sessions (token_id) SELECT id FROM public.refresh_tokens"
                    + " WHERE tag <> 'live' AND random() < " + random.nextDouble() * 0.03);
            boolean trigger = random.nextBoolean();
            if (trigger) {
                db.execute("CREATE TRIGGER keep_kept BEFORE DELETE ON public.refresh_tokens"
                        + " FOR EACH ROW EXECUTE FUNCTION public.keep_kept()");
            } else {
                db.execute("UPDATE public.refresh_tokens SET tag = 'doomed' WHERE tag = 'kept'");
            }
            db.execute("ANALYZE public.refresh_tokens");
            long blocked = db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE tag NOT IN ('live', 'filler')"
                    + " AND (tag = 'kept' OR id IN (SELECT token_id FROM public.sessions))");
            Set<Long> expected = ids(db, "SELECT id FROM public.refresh_tokens WHERE tag IN ('live', 'kept', 'filler')"
                    + " OR id IN (SELECT token_id FROM public.sessions)");
            long doomed = db.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE tag NOT IN ('live', 'filler')");
            int size = 1 + random.nextInt(random.nextBoolean() ? 8 : 60);
            String what = "seed " + seed + " round " + round + ": " + rows + " rows on " + keys + " keys, batch "
                    + size + (trigger ? ", keeping trigger" : "");

            PurgeResult result = PurgeFixture.start(db, CONFIG, batches(Way.INDEX, size))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.method()).as(what).isEqualTo(PurgeMethod.INDEX);
            assertThat(ids(db, "SELECT id FROM public.refresh_tokens")).as(what).isEqualTo(expected);
            assertThat(result.rowsSkipped()).as(what).isEqualTo(blocked);
            assertThat(result.rowsDeleted()).as(what).isEqualTo(doomed - blocked);
            assertThat(db.queryLong("SELECT rows_deleted FROM sweeper.cleanup_runs WHERE id = ?", result.runId()))
                    .as(what).isEqualTo(result.rowsDeleted());
        }
    }

    @Test
    void theRangeWalkOverNaiveTimestampsWithARetentionDeletesExactlyTheDoomedRows() {
        TestDatabase db = POSTGRES.database();
        // Naive New York times (the session is elsewhere), a used_at marker with a day's retention: every bound
        // and every range carries both comparisons of each cutoff. Keys tied by the minute, batches of 7.
        db.execute("""
                CREATE TABLE public.resets (id serial PRIMARY KEY, tag text NOT NULL,
                  expires_at timestamp NOT NULL, used_at timestamp NULL);
                CREATE INDEX ON public.resets (expires_at);
                CREATE INDEX ON public.resets (used_at);
                INSERT INTO public.resets (tag, expires_at) SELECT 'filler',
                  (now() AT TIME ZONE 'America/New_York') + interval '30 days' FROM generate_series(1, 30000);
                INSERT INTO public.resets (tag, expires_at, used_at) SELECT 'mixed',
                  date_trunc('minute', now() AT TIME ZONE 'America/New_York') - interval '1 day'
                    + (floor(random() * 120) - 60) * interval '1 minute' + interval '30 seconds',
                  CASE WHEN random() < 0.5 THEN date_trunc('minute', now() AT TIME ZONE 'America/New_York')
                    - interval '1 day' + (floor(random() * 120) - 60) * interval '1 minute' + interval '30 seconds'
                  END FROM generate_series(1, 2000);
                ANALYZE public.resets;
                """);
        try {
            CleanupFactory config = PurgeFixture.passwordResetsOnly("public", "resets", "expires_at", "used_at");
            config.getPasswordResets().setTimestampZone(java.time.ZoneId.of("America/New_York"));
            config.getPasswordResets().setRetention(io.dropwizard.util.Duration.days(1));
            String doomed = "coalesce((expires_at AT TIME ZONE 'America/New_York') < now() - interval '1 day'"
                    + " OR (used_at AT TIME ZONE 'America/New_York') < now() - interval '1 day', false)";
            Set<Long> survivors = ids(db, "SELECT id FROM public.resets WHERE NOT " + doomed);
            long doomedRows = db.queryLong("SELECT count(*) FROM public.resets WHERE " + doomed);

            PurgeResult result = PurgeFixture.start(db, config, batches(Way.INDEX, 7))
                    .run(JobName.PASSWORD_RESETS, PurgeRequest.cli(false));

            assertThat(result.method()).isEqualTo(PurgeMethod.INDEX);
            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
            // Rows within a minute of a cutoff may turn doomed while the test runs; none may go that was live
            // at the start unless it is doomed now.
            Set<Long> left = ids(db, "SELECT id FROM public.resets");
            assertThat(ids(db, "SELECT id FROM public.resets WHERE " + doomed)).isEmpty();
            assertThat(left).isSubsetOf(survivors);
            assertThat(result.rowsDeleted()).isGreaterThanOrEqualTo(doomedRows);
        } finally {
            db.execute("DROP TABLE public.resets");
        }
    }

    @Test
    void anIndexWalkOnATableWithoutRowTriggersDeletesKeyRangesAsBitmapScans() {
        // A statement-level trigger sees the setting each DELETE statement ran under: a key range's DELETE runs with
        // index scans off (a bitmap heap scan), a delete by position (the walk without ranges) with them on.
        TriggeredWalk walk = indexWalkWithTriggerLoggingIndexScans("STATEMENT");

        assertThat(walk.result().batches()).isEqualTo(4);
        assertThat(walk.settingsSeen()).isEqualTo("off");
    }

    @Test
    void theIndexWalksPlannerSettingDoesNotReachTheTablesTriggers() {
        // An audit trigger's own queries (and the foreign keys' actions) are planned while the DELETE runs: the
        // index walk's "no index scans" for its own DELETE must not become theirs (a max() or an ORDER BY ...
        // LIMIT in a trigger would read its whole table for every row deleted).
        assertThat(indexWalkWithTriggerLoggingIndexScans("ROW").settingsSeen()).isEqualTo("on");
    }

    /** A run, and the distinct values of enable_indexscan its DELETEs' trigger saw. */
    private record TriggeredWalk(PurgeResult result, String settingsSeen) {
    }

    /**
     * An index walk (batch.size 500) over 2,000 doomed rows of distinct keys (every batch a key range) among 30,000
     * live ones, with an AFTER DELETE trigger {@code FOR EACH <level>} recording enable_indexscan as it fires.
     */
    private static TriggeredWalk indexWalkWithTriggerLoggingIndexScans(String level) {
        TestDatabase db = POSTGRES.database();
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT 'doomed', now() - i * interval '1 second'"
                + " FROM generate_series(1, 2000) i");
        PurgeFixture.seedTokens(db, "live", 30_000, false);
        db.execute("ANALYZE public.refresh_tokens");
        db.execute("""
                CREATE TABLE public.index_scan_settings (setting text);
                CREATE FUNCTION public.log_index_scan_setting() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO public.index_scan_settings VALUES (current_setting('enable_indexscan')); RETURN NULL;
                END $$;
                CREATE TRIGGER log_index_scan_setting AFTER DELETE ON public.refresh_tokens
                  FOR EACH %s EXECUTE FUNCTION public.log_index_scan_setting();
                """.formatted(level));
        try {
            PurgeResult result = PurgeFixture.start(db, CONFIG, batches(Way.INDEX, 500))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.rowsDeleted()).isEqualTo(2_000);
            return new TriggeredWalk(result, db.queryString(
                    "SELECT string_agg(DISTINCT setting, ',') FROM public.index_scan_settings"));
        } finally {
            db.execute("DROP TRIGGER log_index_scan_setting ON public.refresh_tokens;"
                    + " DROP FUNCTION public.log_index_scan_setting(); DROP TABLE public.index_scan_settings");
        }
    }

    @Test
    void noIndexWalkStatementDeletesFarMoreThanABatchEvenOneRolledBack() {
        TestDatabase db = POSTGRES.database();
        // As in the test of a range that gained rows, but the auth service revokes 2,000 rows in the tail's range
        // (a tenant's tokens at once): the tail's DELETE has no LIMIT, and deletes (locks, logs, fires triggers
        // for) all 2,050 rows before the walk sees the count and rolls it back.
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'revoked',"
                + " date_trunc('minute', now()) + i * interval '1 minute' + interval '1 day', true"
                + " FROM generate_series(1, 150) i");
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'late',"
                + " date_trunc('minute', now()) + interval '1 day' + interval '101 minutes' + (i % 40) * interval '1 second',"
                + " false FROM generate_series(1, 2000) i");
        PurgeFixture.seedTokens(db, "live", 30_000, false);
        db.execute("ANALYZE public.refresh_tokens");
        // A sequence is not rolled back: it keeps the most rows any DELETE statement removed, committed or not.
        db.execute("""
                CREATE SEQUENCE public.max_statement_rows MINVALUE 0 START 0;
                CREATE FUNCTION public.log_statement_rows() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM setval('public.max_statement_rows', greatest((SELECT last_value FROM
                  public.max_statement_rows), (SELECT count(*) FROM gone))); RETURN NULL; END $$;
                CREATE TRIGGER log_statement_rows AFTER DELETE ON public.refresh_tokens
                  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION public.log_statement_rows();
                CREATE FUNCTION public.revoke_late() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN UPDATE public.refresh_tokens SET revoked = true WHERE tag = 'late'; RETURN NULL; END $$;
                CREATE TRIGGER revoke_late AFTER UPDATE ON sweeper.cleanup_runs FOR EACH ROW
                  WHEN (OLD.batches = 0 AND NEW.batches = 1) EXECUTE FUNCTION public.revoke_late();
                """);
        try {
            PurgeResult result = PurgeFixture.start(db, CONFIG, batches(Way.INDEX, 100))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.rowsDeleted()).isEqualTo(2_150);
            // Counted again before its DELETE, the grown range is not deleted at all: it goes by position.
            assertThat(db.queryLong("SELECT last_value FROM public.max_statement_rows")).isLessThanOrEqualTo(100);
            assertThat(PurgeFixture.countTokens(db, "tag IN ('revoked', 'late')")).isZero();
        } finally {
            db.execute("""
                    DROP TRIGGER revoke_late ON sweeper.cleanup_runs; DROP FUNCTION public.revoke_late();
                    DROP TRIGGER log_statement_rows ON public.refresh_tokens; DROP FUNCTION public.log_statement_rows();
                    DROP SEQUENCE public.max_statement_rows;
                    """);
        }
    }

    @Test
    void aDoInsteadRuleThatDeletesElsewhereIsNotCountedAsTokensDeleted() {
        // The index walk only: the heap walk's checked form (DELETE ... RETURNING) fails on such a table, as the
        // index walk's did before key ranges.
        Way way = Way.INDEX;
        TestDatabase db = POSTGRES.database();
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at) SELECT 'doomed', now() - i * interval '1 second'"
                + " FROM generate_series(1, 300) i");
        PurgeFixture.seedTokens(db, "live", 30_000, false);
        db.execute("INSERT INTO public.sessions (token_id) SELECT id FROM public.refresh_tokens WHERE tag = 'doomed'");
        db.execute("ANALYZE public.refresh_tokens");
        // A soft delete: the tokens stay, their sessions go. The DELETE's command tag counts the sessions.
        db.execute("CREATE RULE soft_delete AS ON DELETE TO public.refresh_tokens DO INSTEAD"
                + " DELETE FROM public.sessions WHERE token_id = OLD.id");
        try {
            PurgeResult result = PurgeFixture.start(db, CONFIG, batches(way, 100))
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            // Such a table goes by position, whose statements count what they remove (RETURNING): PostgreSQL
            // refuses them under a DO INSTEAD rule, and the run fails saying so, as the heap walk does; nothing is
            // counted as deleted.
            assertThat(PurgeFixture.countTokens(db, "tag = 'doomed'")).isEqualTo(300);
            assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.FAILED);
            assertThat(result.summary()).contains("cannot perform DELETE RETURNING");
            assertThat(result.rowsDeleted()).as(result.summary()).isZero();
        } finally {
            db.execute("DROP RULE soft_delete ON public.refresh_tokens");
        }
    }

    private static int update(Connection connection, String sql, Long id) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            if (id != null) {
                statement.setLong(1, id);
            }
            return statement.execute() ? 0 : statement.getUpdateCount();
        }
    }

    private static Set<Long> ids(TestDatabase db, String sql) {
        Set<Long> ids = new HashSet<>();
        try (Connection connection = db.dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }
}
