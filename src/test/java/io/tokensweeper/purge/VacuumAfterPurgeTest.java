package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * cleanup.&lt;target&gt;.vacuumAfterPurge: a plain VACUUM (ANALYZE) after a run that deleted enough of the table, only
 * where the database user may, refused at start otherwise. The tables have autovacuum off, so that any vacuum
 * PostgreSQL records is ours.
 */
class VacuumAfterPurgeTest {
    private static final String ROLE = "sweeper_not_owner";
    private static final String ROLE_PASSWORD = "not-owner-pw";

    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    private static CleanupFactory optedIn(double minDeletedFraction) {
        CleanupFactory config = PurgeFixture.refreshTokensOnly("public", "refresh_tokens", "expires_at", "revoked");
        config.getRefreshTokens().setVacuumAfterPurge(true);
        config.getRefreshTokens().setVacuumMinDeletedFraction(minDeletedFraction);
        return config;
    }

    private static String lastVacuum(TestDatabase db) {
        return db.queryString("SELECT last_vacuum FROM pg_stat_user_tables WHERE relid = 'public.refresh_tokens'::regclass");
    }

    @Test
    void aRunThatDeletedEnoughOfTheTableIsFollowedByAVacuum() throws Exception {
        TestDatabase db = POSTGRES.database();
        TableSpaceTest.tokens(db, false, 3_000, 7_000);
        PurgeService service = PurgeFixture.start(db, optedIn(0.2), PurgeFixture.SMALL_BATCHES);

        service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        assertThat(run.vacuum()).as("vacuum recorded").isNotNull();
        assertThat(run.vacuum().ran()).as(run.vacuum().note()).isTrue();
        assertThat(run.vacuum().durationMs()).isNotNull().isNotNegative();
        assertThat(lastVacuum(db)).as("last_vacuum").isNotNull();
        assertThat(db.queryString("SELECT last_analyze FROM pg_stat_user_tables"
                + " WHERE relid = 'public.refresh_tokens'::regclass")).as("last_analyze").isNotNull();
        assertThat(TableSpaceTest.stat(db, "n_dead_tup")).isZero();
        assertThat(run.vacuum().deadTuplesAfter()).isZero();
        // The space is the table as the run left it; the warning is judged after the VACUUM, which left nothing.
        assertThat(run.space().autovacuumWarning()).isNull();
        assumeThat(TableSpaceTest.serverVersion(db)).isGreaterThanOrEqualTo(150_000);
        assertThat(run.space().deadTuples()).isEqualTo(3_000);
    }

    @Test
    void aRunThatDeletedLessThanTheFractionLeavesTheTableToAutovacuum() throws Exception {
        TestDatabase db = POSTGRES.database();
        TableSpaceTest.tokens(db, false, 500, 9_500);
        PurgeService service = PurgeFixture.start(db, optedIn(0.2), PurgeFixture.SMALL_BATCHES);

        service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        assertThat(run.vacuum().ran()).isFalse();
        assertThat(run.vacuum().durationMs()).isNull();
        assertThat(run.vacuum().note()).startsWith("not due: the run deleted 500 rows, 5.0% of the table's")
                .endsWith("below cleanup.refreshTokens.vacuumMinDeletedFraction 20.0%");
        assertThat(lastVacuum(db)).isNull();
        assertThat(TableSpaceTest.stat(db, "n_dead_tup")).isEqualTo(500);
    }

    @Test
    void aVacuumThatCannotLockTheTableGivesUpAfterTheRunsLockTimeoutAndSaysSo() throws Exception {
        TestDatabase db = POSTGRES.database();
        TableSpaceTest.tokens(db, false, 3_000, 7_000);
        PurgeService service = PurgeFixture.start(db, optedIn(0.2), PurgeFixture.SMALL_BATCHES);

        // SHARE UPDATE EXCLUSIVE, as another VACUUM or a CREATE INDEX CONCURRENTLY holds it: DELETEs pass, VACUUM waits.
        try (Connection holder = db.dataSource().getConnection(); Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.execute("LOCK TABLE public.refresh_tokens IN SHARE UPDATE EXCLUSIVE MODE");
            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
            holder.rollback();
        }

        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        assertThat(run.rowsDeleted()).isEqualTo(3_000);
        assertThat(run.vacuum().ran()).isFalse();
        assertThat(run.vacuum().durationMs()).isGreaterThanOrEqualTo(PurgeFixture.SMALL_BATCHES.lockTimeout().toMillis());
        assertThat(run.vacuum().note()).startsWith("could not lock the table within lock_timeout 2000 ms");
        assertThat(lastVacuum(db)).isNull();
    }

    @Test
    void aNodeShuttingDownCancelsTheVacuumInsteadOfWaitingForIt() throws Exception {
        TestDatabase db = POSTGRES.database();
        TableSpaceTest.tokens(db, false, 300_000, 10_000);
        PurgeService service = PurgeFixture.start(db, optedIn(0.2), PurgeFixture.SMALL_BATCHES.withSize(20_000));
        CompletableFuture<PurgeResult> run =
                CompletableFuture.supplyAsync(() -> service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)));
        // Throttled like autovacuum, the VACUUM of 300,000 dead tuples takes about a second and a half here.
        await("the VACUUM is running").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
                .until(() -> db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                        + " AND query LIKE 'VACUUM (ANALYZE) %'") == 1);

        service.requestStop();

        assertThat(run.get(30, TimeUnit.SECONDS).status()).isEqualTo(RunStatus.SUCCEEDED);
        RunVacuum vacuum = service.history().last(JobName.REFRESH_TOKENS).orElseThrow().vacuum();
        assertThat(vacuum.ran()).isFalse();
        assertThat(vacuum.note()).startsWith("cancelled: the node is shutting down (ERROR: canceling statement due to"
                + " user request");
        assertThat(db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'VACUUM (ANALYZE) %'"
                + " AND state = 'active'")).isZero();
    }

    @Test
    void aDryRunNeverVacuums() throws Exception {
        TestDatabase db = POSTGRES.database();
        TableSpaceTest.tokens(db, false, 3_000, 7_000);
        PurgeService service = PurgeFixture.start(db, optedIn(0.2), PurgeFixture.SMALL_BATCHES);

        service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(true));

        RunRecord run = service.history().last(JobName.REFRESH_TOKENS).orElseThrow();
        assertThat(run.space()).isNotNull();
        assertThat(run.vacuum()).isNull();
        assertThat(lastVacuum(db)).isNull();
    }

    @Test
    void aUserThatMayNotVacuumTheTableIsRefusedAtStartNamingKeyTableAndPrivilege() throws Exception {
        TestDatabase admin = POSTGRES.database();
        TableSpaceTest.tokens(admin, false, 10, 10);
        admin.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                + " CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + ROLE_PASSWORD + "'; END IF; END $$;"
                + " GRANT SELECT, DELETE ON public.refresh_tokens TO " + ROLE);
        boolean maintain = TableSpaceTest.serverVersion(admin) >= 170_000;
        try (TestDatabase notOwner = new TestDatabase(admin.url(), ROLE, ROLE_PASSWORD)) {
            assertThatThrownBy(() -> PurgeFixture.start(notOwner, optedIn(0.2), PurgeFixture.SMALL_BATCHES))
                    .isInstanceOf(TargetConfigurationException.class)
                    .hasMessageStartingWith("cleanup.refreshTokens.vacuumAfterPurge: database user " + ROLE
                            + " may not VACUUM public.refresh_tokens: ")
                    .hasMessageContaining(maintain ? "lacks the MAINTAIN privilege on the table (GRANT MAINTAIN ON"
                            + " \"public\".\"refresh_tokens\" TO \"" + ROLE + "\"), which its owner (postgres),"
                            + " superusers and members of pg_maintain have" : "only the table's owner")
                    .hasMessageEndingWith("set cleanup.refreshTokens.vacuumAfterPurge: false (autovacuum still"
                            + " vacuums the table)");
            // Not opted in, the same user starts: SELECT and DELETE are all a purge needs.
            CleanupFactory notOptedIn = optedIn(0.2);
            notOptedIn.getRefreshTokens().setVacuumAfterPurge(false);
            PurgeFixture.start(notOwner, notOptedIn, PurgeFixture.SMALL_BATCHES);
        }
    }

    @Test
    void onPostgres17TheMaintainPrivilegeIsEnoughAndLosingItLaterIsRecordedNotHidden() throws Exception {
        TestDatabase admin = POSTGRES.database();
        assumeThat(TableSpaceTest.serverVersion(admin)).isGreaterThanOrEqualTo(170_000);
        TableSpaceTest.tokens(admin, false, 3_000, 7_000);
        admin.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                + " CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + ROLE_PASSWORD + "'; END IF; END $$;"
                + " GRANT SELECT, DELETE, MAINTAIN ON public.refresh_tokens TO " + ROLE + ";"
                + " GRANT USAGE ON SCHEMA sweeper TO " + ROLE + ";"
                + " GRANT SELECT, INSERT, UPDATE ON sweeper.cleanup_runs TO " + ROLE);
        try (TestDatabase maintainer = new TestDatabase(admin.url(), ROLE, ROLE_PASSWORD)) {
            PurgeService service = PurgeFixture.start(maintainer, optedIn(0.2), PurgeFixture.SMALL_BATCHES);

            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            RunVacuum vacuum = service.history().last(JobName.REFRESH_TOKENS).orElseThrow().vacuum();
            assertThat(vacuum.ran()).as(vacuum.note()).isTrue();
            assertThat(lastVacuum(admin)).isNotNull();

            // Revoked while the node runs: PostgreSQL skips the table with a warning instead of failing the VACUUM.
            admin.execute("REVOKE MAINTAIN ON public.refresh_tokens FROM " + ROLE);
            PurgeFixture.seedTokens(admin, "doomed-again", 5_000, true);
            service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

            RunVacuum skipped = service.history().last(JobName.REFRESH_TOKENS).orElseThrow().vacuum();
            assertThat(skipped.ran()).isFalse();
            assertThat(skipped.note()).startsWith("PostgreSQL skipped it: ").contains("refresh_tokens");
        } finally {
            admin.execute("REVOKE ALL ON public.refresh_tokens FROM " + ROLE + "; REVOKE ALL ON sweeper.cleanup_runs"
                    + " FROM " + ROLE + "; REVOKE USAGE ON SCHEMA sweeper FROM " + ROLE);
        }
    }
}
