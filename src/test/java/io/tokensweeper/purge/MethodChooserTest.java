package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.tokensweeper.testing.LogCapture;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How a run chooses between the heap walk and the index walk, and what it says about it. */
class MethodChooserTest {
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
                CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, tag text NOT NULL,
                  expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false)
                  WITH (autovacuum_enabled = false);
                TRUNCATE sweeper.cleanup_runs;
                """);
    }

    private static void recommendedIndexes(TestDatabase db) {
        db.execute("CREATE INDEX refresh_tokens_expires_at_idx ON public.refresh_tokens (expires_at);"
                + " CREATE INDEX refresh_tokens_revoked_idx ON public.refresh_tokens (expires_at) WHERE revoked");
    }

    /** 20,000 rows of which {@code doomed} expired and 10 revoked, analyzed. */
    private static void seed(TestDatabase db, int doomed) {
        PurgeFixture.seedTokens(db, "doomed", doomed, true);
        PurgeFixture.seedTokens(db, "live", 20_000 - doomed, false);
        db.execute("UPDATE public.refresh_tokens SET revoked = true WHERE id IN (SELECT id FROM public.refresh_tokens"
                + " WHERE tag = 'live' LIMIT 10)");
        db.execute("ANALYZE public.refresh_tokens");
    }

    private static MethodChoice choose(TestDatabase db, Optional<PurgeMethod> configured) throws SQLException {
        return choose(db, CONFIG, JobName.REFRESH_TOKENS, configured);
    }

    private static MethodChoice choose(TestDatabase db, CleanupFactory config, JobName job,
                                       Optional<PurgeMethod> configured) throws SQLException {
        PurgeTarget target = new TargetCatalog(db.dataSource()).resolve(config.target(job));
        try (Connection connection = db.dataSource().getConnection()) {
            return new MethodChooser(connection, target, TableFacts.oid(connection, target), "NULL", 5_000)
                    .choose(configured);
        }
    }

    @Test
    void fewDoomedRowsAndTheRecommendedIndexesMakeAnIndexWalk() throws SQLException {
        TestDatabase db = POSTGRES.database();
        recommendedIndexes(db);
        seed(db, 200);

        MethodChoice choice = choose(db, Optional.empty());

        assertThat(choice.method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(choice.reason()).contains("doomed rows of 20,000 (1.", "at most 5%", "refresh_tokens_revoked_idx",
                "refresh_tokens_expires_at_idx");
    }

    @Test
    void aBacklogMakesAHeapWalk() throws SQLException {
        TestDatabase db = POSTGRES.database();
        recommendedIndexes(db);
        seed(db, 8_000);

        MethodChoice choice = choose(db, Optional.empty());

        assertThat(choice.method()).isEqualTo(PurgeMethod.HEAP);
        assertThat(choice.reason()).contains("of 20,000 (40.", "more than 5%: heap walk");
    }

    /**
     * 20,000 rows expiring a minute apart, the first 400 expired, 10 revoked anywhere, analyzed: appended in expiry
     * order, or in a random order. About 140 rows fit a page.
     */
    private static void seedMinuteApart(TestDatabase db, String order) {
        db.execute("INSERT INTO public.refresh_tokens (tag, expires_at, revoked) SELECT 'row', now() + (i - 400)"
                + " * interval '1 minute' - interval '30 seconds', i % 2000 = 1000 FROM generate_series(1, 20000) AS i ORDER BY " + order);
        db.execute("ANALYZE public.refresh_tokens");
    }

    @Test
    void doomedRowsInNoOrderThatOutnumberThePagesMakeAHeapWalk() throws SQLException {
        TestDatabase db = POSTGRES.database();
        recommendedIndexes(db);
        seedMinuteApart(db, "random()");
        long pages = db.queryLong("SELECT relpages FROM pg_class WHERE oid = 'public.refresh_tokens'::regclass");
        assertThat(pages).isLessThan(400);

        MethodChoice choice = choose(db, Optional.empty());

        assertThat(choice.method()).isEqualTo(PurgeMethod.HEAP);
        assertThat(choice.reason()).contains("at most 5%, but about ", " of them in no physical order against the"
                + " table's " + pages + " pages (correlation with the heap's order: expires_at ", "heap walk");
        PurgeResult result = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES)
                .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        assertThat(result.method()).isEqualTo(PurgeMethod.HEAP);
        assertThat(result.rowsDeleted()).isEqualTo(410);
        assertThat(PurgeFixture.countTokens(db, "revoked OR expires_at < now()")).isZero();
        assertThat(PurgeFixture.countTokens(db, "true")).isEqualTo(20_000 - 410);
    }

    @Test
    void theSameRowsInTheHeapsOrderMakeAnIndexWalk() throws SQLException {
        TestDatabase db = POSTGRES.database();
        recommendedIndexes(db);
        seedMinuteApart(db, "i");

        MethodChoice choice = choose(db, Optional.empty());

        assertThat(choice.method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(choice.reason()).contains("at most 5%; about 0 of them in no physical order against the"
                + " table's ", "expires_at 1.000", "index walk over");
    }

    /**
     * 20,000 rows with ids in a random heap order, none expired, every 33rd revoked (606, about 3%), the revoked
     * rows indexed by id: the revoked part is walked by id.
     */
    private static void seedRevokedByIdInRandomOrder(TestDatabase db) {
        db.execute("CREATE INDEX refresh_tokens_expires_at_idx ON public.refresh_tokens (expires_at);"
                + " CREATE INDEX refresh_tokens_revoked_id_idx ON public.refresh_tokens (id) WHERE revoked;"
                + " INSERT INTO public.refresh_tokens (id, tag, expires_at, revoked) SELECT i, 'row', now()"
                + " + interval '1 day', i % 33 = 0 FROM generate_series(1, 20000) AS i ORDER BY random();"
                + " ANALYZE public.refresh_tokens");
    }

    @Test
    void aKeyColumnWithoutStatisticsCountsAsOrdered() throws SQLException {
        TestDatabase db = POSTGRES.database();
        db.execute("ALTER TABLE public.refresh_tokens ALTER COLUMN id SET STATISTICS 0");
        seedRevokedByIdInRandomOrder(db);

        MethodChoice withoutStatistics = choose(db, Optional.empty());

        assertThat(withoutStatistics.method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(withoutStatistics.reason()).contains("correlation with the heap's order: id not in the"
                + " statistics, taken as ordered", "index walk over refresh_tokens_revoked_id_idx");
        // The same rows with the column's statistics: 606 rows in no order, on fewer pages.
        db.execute("ALTER TABLE public.refresh_tokens ALTER COLUMN id SET STATISTICS -1;"
                + " ANALYZE public.refresh_tokens");
        MethodChoice withStatistics = choose(db, Optional.empty());
        assertThat(withStatistics.method()).as(withStatistics.reason()).isEqualTo(PurgeMethod.HEAP);
        assertThat(withStatistics.reason()).contains("(correlation with the heap's order: id ");
    }

    /**
     * A database user that may not read pg_stats (revoked from PUBLIC): where the rows lie is unknown, the row
     * share chooses as before, a WARN says why, and the run, whose transaction the failed read was in, succeeds.
     */
    @Test
    void statisticsTheUserMayNotReadLeaveTheChoiceToTheRowShare() throws Exception {
        TestDatabase admin = POSTGRES.database();
        recommendedIndexes(admin);
        seedMinuteApart(admin, "random()");
        String role = "stats_blind";
        PurgeFixture.grantPurge(admin, role, "stats-blind-pw");
        MethodChoice choice;
        PurgeResult result;
        List<String> warnings;
        try (LogCapture log = LogCapture.of(MethodChooser.class, Level.WARN);
             TestDatabase blind = new TestDatabase(admin.url(), role, "stats-blind-pw")) {
            admin.execute("REVOKE SELECT ON pg_catalog.pg_stats FROM PUBLIC");
            choice = choose(blind, Optional.empty());
            result = PurgeFixture.start(blind, CONFIG, PurgeFixture.SMALL_BATCHES)
                    .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            warnings = log.lines(Level.WARN);
        } finally {
            admin.execute("GRANT SELECT ON pg_catalog.pg_stats TO PUBLIC");
            PurgeFixture.revokePurge(admin, role);
        }

        assertThat(choice.method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(choice.reason()).contains("at most 5%; where they lie in the heap is unknown (",
                "permission denied", "): index walk over");
        assertThat(result.status()).as(result.summary()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(result.rowsDeleted()).isEqualTo(410);
        assertThat(PurgeFixture.countTokens(admin, "true")).isEqualTo(20_000 - 410);
        assertThat(warnings).isNotEmpty().allSatisfy(line -> assertThat(line).startsWith("Purge refresh-tokens:"
                + " could not estimate where the doomed rows of public.refresh_tokens lie in the heap ("));
    }

    /**
     * A naive timestamp is estimated by its comparison in its zone alone: the planner has no statistics for the
     * instant it converts to, and with that comparison too it would estimate a third of the doomed rows.
     */
    @Test
    void doomedRowsOfANaiveTimestampAreEstimatedFromTheColumnsStatistics() throws SQLException {
        TestDatabase db = POSTGRES.database();
        db.execute("""
                DROP TABLE IF EXISTS public.resets;
                CREATE TABLE public.resets (id serial PRIMARY KEY, expires_at timestamp NOT NULL,
                  used_at timestamp NULL);
                CREATE INDEX ON public.resets (expires_at);
                CREATE INDEX ON public.resets (used_at);
                INSERT INTO public.resets (expires_at) SELECT (now() AT TIME ZONE 'America/New_York')
                  + (i - 400) * interval '1 minute' - interval '30 seconds' FROM generate_series(1, 20000) AS i;
                ANALYZE public.resets;
                """);
        CleanupFactory config = PurgeFixture.passwordResetsOnly("public", "resets", "expires_at", "used_at");
        config.getPasswordResets().setTimestampZone(java.time.ZoneId.of("America/New_York"));

        MethodChoice choice = choose(db, config, JobName.PASSWORD_RESETS, Optional.empty());

        assertThat(choice.reason()).containsPattern("^about [0-9,]+ doomed rows of 20,000 \\((1\\.[89]|2\\.[01])%\\)");
    }

    @Test
    void withoutAnIndexForTheRevokedRowsItWalksTheHeapAndSaysWhichIndexWouldHelp() throws SQLException {
        TestDatabase db = POSTGRES.database();
        db.execute("CREATE INDEX ON public.refresh_tokens (expires_at)");
        seed(db, 200);

        MethodChoice forced = choose(db, Optional.of(PurgeMethod.INDEX));

        assertThat(forced.method()).isEqualTo(PurgeMethod.HEAP);
        assertThat(forced.reason()).contains("no index reads the rows marked by revoked", "partial WHERE \"revoked\"");
    }

    /**
     * The index walk bounds each batch by reading its key in order from an index alone: a BRIN index (no order), or
     * a btree led by another column (found by PostgreSQL 18's skip scan, or a bitmap, then sorted), would be read
     * whole for every batch. Found by an adversarial try: 400,000 rows, BRIN on expires_at, batch 100, 8.3 s
     * against 0.25 s with a btree and 1.2 s for the heap walk; with pacing on, 20 rows a second.
     */
    @ParameterizedTest
    @ValueSource(strings = {"USING brin (expires_at)", "(tag, expires_at)", "USING hash (expires_at)"})
    void anIndexThatCannotReadTheKeyInOrderMakesAHeapWalk(String index) throws SQLException {
        TestDatabase db = POSTGRES.database();
        db.execute("CREATE INDEX refresh_tokens_expiry_other_idx ON public.refresh_tokens " + index
                + "; CREATE INDEX refresh_tokens_revoked_idx ON public.refresh_tokens (expires_at) WHERE revoked");
        seed(db, 200);

        for (Optional<PurgeMethod> configured : List.of(Optional.<PurgeMethod>empty(), Optional.of(PurgeMethod.INDEX))) {
            MethodChoice choice = choose(db, configured);

            assertThat(choice.method()).as(choice.reason()).isEqualTo(PurgeMethod.HEAP);
            assertThat(choice.reason()).contains("no index reads the rows expired by expires_at in order",
                    "a btree index on \"expires_at\"");
        }
    }

    @Test
    void aTableNeverAnalyzedIsWalkedByTheHeap() throws SQLException {
        TestDatabase db = POSTGRES.database();
        recommendedIndexes(db);
        PurgeFixture.seedTokens(db, "doomed", 10, true);

        assertThat(choose(db, Optional.empty()).reason()).contains("never analyzed");
        assertThat(choose(db, Optional.of(PurgeMethod.INDEX)).method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(choose(db, Optional.of(PurgeMethod.HEAP)).reason()).isEqualTo("batch.method: heap");
    }

    @Test
    void theRunRecordsItsMethodAndWhy() {
        TestDatabase db = POSTGRES.database();
        recommendedIndexes(db);
        seed(db, 200);

        PurgeResult result = PurgeFixture.start(db, CONFIG, PurgeFixture.SMALL_BATCHES)
                .run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.method()).isEqualTo(PurgeMethod.INDEX);
        assertThat(result.summary()).contains("in 3 batches (index walk)");
        assertThat(db.queryString("SELECT method || ': ' || method_reason FROM sweeper.cleanup_runs WHERE id = ?",
                result.runId())).startsWith("index: about ").contains("index walk over");
        assertThat(PurgeFixture.countTokens(db, "revoked OR expires_at < now()")).isZero();
    }
}
