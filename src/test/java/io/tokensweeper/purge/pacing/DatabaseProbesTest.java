package io.tokensweeper.purge.pacing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokensweeper.db.Jdbc;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pacer's probes on a real PostgreSQL, read as a least-privileged role, as in production. */
class DatabaseProbesTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final String ROLE = "pacing_probe";
    private static final String PASSWORD = "probe-pw";
    private static TestDatabase asRole;

    @BeforeAll
    static void setUp() {
        TestDatabase db = POSTGRES.database();
        db.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                + " CREATE ROLE " + ROLE + " LOGIN NOINHERIT; END IF; END $$");
        db.execute("ALTER ROLE " + ROLE + " PASSWORD '" + PASSWORD + "'");
        db.execute("""
                CREATE TABLE public.tokens (id bigint PRIMARY KEY, revoked boolean NOT NULL DEFAULT false);
                INSERT INTO public.tokens (id) SELECT generate_series(1, 10);
                """);
        db.execute("GRANT SELECT, DELETE ON public.tokens TO " + ROLE);
        asRole = new TestDatabase(db.url(), ROLE, PASSWORD);
    }

    @AfterAll
    static void tearDown() {
        asRole.close();
    }

    /**
     * The purge's session has deleted a row and not committed; the auth service (another role, whose waits
     * pg_stat_activity would hide from ours) updates that row and waits. The probe, on the purge's session in
     * its open transaction, sees it; a session that holds nothing sees no one.
     */
    @Test
    void aSessionBlockedOnARowThePurgeSessionLockedIsSeen() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (Connection purge = asRole.dataSource().getConnection();
             Connection bystander = asRole.dataSource().getConnection();
             Connection auth = db.dataSource().getConnection()) {
            purge.setAutoCommit(false);
            assertThat(Jdbc.update(purge, "DELETE FROM public.tokens WHERE id = 1")).isEqualTo(1);
            assertThat(DatabaseProbes.lockWaiters(purge)).isZero();

            CompletableFuture<Integer> revoke = CompletableFuture.supplyAsync(() -> {
                try {
                    return Jdbc.update(auth, "UPDATE public.tokens SET revoked = true WHERE id = 1");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(30)).pollInSameThread()
                    .until(() -> DatabaseProbes.lockWaiters(purge) == 1);
            assertThat(DatabaseProbes.lockWaiters(bystander)).as("a session that holds no lock").isZero();

            purge.commit();
            assertThat(revoke.get(30, TimeUnit.SECONDS)).as("the row was gone when the update went on").isZero();
            assertThat(DatabaseProbes.lockWaiters(purge)).isZero();
            purge.commit();
        }
    }

    @Test
    void withoutStandbysThereIsNoLagAndTheCheckpointCounterCountsRequestedCheckpoints() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (Connection run = asRole.dataSource().getConnection()) {
            DatabaseProbes.Readings before = DatabaseProbes.read(run, true, true);
            assertThat(before.standbys()).isZero();
            assertThat(before.lag()).isEqualTo(Duration.ZERO);
            assertThat(before.lagHidden()).isFalse();
            assertThat(before.checkpointsRequested()).isNotNegative();

            db.execute("CHECKPOINT");
            await().atMost(Duration.ofSeconds(30)).pollInSameThread().until(
                    () -> DatabaseProbes.read(run, false, true).checkpointsRequested() > before.checkpointsRequested());
            assertThat(DatabaseProbes.read(run, false, false).checkpointsRequested()).as("not read").isEqualTo(-1);
        }
    }

    /**
     * Between batches the run's session is in autocommit-off mode: the pacer's read there begins a transaction,
     * which must end at once, or the run would hold a snapshot (and vacuum back) while it pauses.
     */
    @Test
    void theReadBetweenBatchesLeavesTheRunsSessionIdleWithoutASnapshot() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (Connection run = asRole.dataSource().getConnection()) {
            run.setAutoCommit(false);
            long pid = Jdbc.oneLong(run, "SELECT pg_backend_pid()");
            run.commit();
            Pacer pacer = new Pacer(PacingSettings.DEFAULT, Duration.ZERO, 100, "Purge test run 1", d -> {
            }, () -> false, d -> {
            });

            pacer.afterBatch(run, Duration.ofMillis(5), 100, 1);

            assertThat(db.queryString("SELECT state || ' ' || coalesce(backend_xmin::text, 'no snapshot')"
                    + " FROM pg_stat_activity WHERE pid = ?", pid)).isEqualTo("idle no snapshot");
        }
    }
}
