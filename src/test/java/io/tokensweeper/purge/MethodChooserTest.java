package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
        PurgeTarget target = new TargetCatalog(db.dataSource()).resolve(CONFIG.target(JobName.REFRESH_TOKENS));
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
        assertThat(choice.reason()).contains("at most 5%; about ", " of them in no physical order against the"
                + " table's ", "expires_at 1.00", "index walk over");
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
