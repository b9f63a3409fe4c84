package io.tokensweeper.purge.pacing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.tokensweeper.db.Jdbc;
import io.tokensweeper.testing.LogCapture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Pacing against a real lagging standby, which the embedded server cannot provide (its bundle has no
 * pg_basebackup): runs only when SWEEPER_TEST_STANDBY_PRIMARY_URL names a database on a primary, reachable as
 * a superuser (SWEEPER_TEST_DATABASE_USER, default postgres), that streams to one physical standby applying WAL
 * late ({@code recovery_min_apply_delay = '8s'}). For example, with PostgreSQL's own binaries:
 * <pre>
 * initdb -D primary; (port, wal_level=replica, a "host replication" line in pg_hba.conf); pg_ctl -D primary start
 * pg_basebackup -D standby -R -X stream; echo "port=...; recovery_min_apply_delay='8s'" >> standby/postgresql.conf
 * pg_ctl -D standby start
 * SWEEPER_TEST_STANDBY_PRIMARY_URL=jdbc:postgresql://127.0.0.1:PORT/postgres mvn test -Dtest=StandbyLagTest
 * </pre>
 */
@EnabledIfEnvironmentVariable(named = "SWEEPER_TEST_STANDBY_PRIMARY_URL", matches = "jdbc:postgresql://.+")
class StandbyLagTest {
    private static final String URL = System.getenv("SWEEPER_TEST_STANDBY_PRIMARY_URL");
    private static final String USER = System.getenv().getOrDefault("SWEEPER_TEST_DATABASE_USER", "postgres");
    private static final String PASSWORD = System.getenv().getOrDefault("SWEEPER_TEST_DATABASE_PASSWORD", "");

    private static Connection connect(String user, String password) throws SQLException {
        return DriverManager.getConnection(URL, user, password);
    }

    /** A few seconds of commits: the standby applies each 8 s late, and says so once it has. */
    private static void writeForAWhile(Connection connection) throws Exception {
        Jdbc.execute(connection, "CREATE TABLE IF NOT EXISTS public.standby_lag_test (at timestamptz)");
        for (int i = 0; i < 15; i++) {
            Jdbc.update(connection, "INSERT INTO public.standby_lag_test VALUES (clock_timestamp())");
            Thread.sleep(200);
        }
    }

    @Test
    void theRunWaitsForALaggingStandbyUntilItCatchesUp() throws Exception {
        PacingSettings settings = PacingSettings.DEFAULT.withMaxReplicationLag(Duration.ofSeconds(2))
                .withMaxWait(Duration.ofSeconds(90)).withLatencyFactor(0);
        AtomicLong paused = new AtomicLong();
        List<String> log;
        try (LogCapture pacerLog = LogCapture.of(Pacer.class, Level.INFO); Connection writer = connect(USER, PASSWORD);
             Connection run = connect(USER, PASSWORD)) {
            writeForAWhile(writer);
            run.setAutoCommit(false);
            assertThat(DatabaseProbes.read(run, true, true).standbys()).isEqualTo(1);
            run.rollback();
            await().atMost(Duration.ofSeconds(60)).pollInSameThread().until(() -> {
                Duration lag = DatabaseProbes.read(run, true, false).lag();
                run.rollback();
                return lag != null && lag.compareTo(Duration.ofSeconds(2)) > 0;
            });
            Pacer pacer = new Pacer(settings, Duration.ZERO, 100, "Purge standby-test run 1", d -> Thread.sleep(d.toMillis()),
                    () -> false, d -> paused.addAndGet(d.toMillis()));

            pacer.afterBatch(run, Duration.ofMillis(5), 100, 1);

            Duration after = DatabaseProbes.read(run, true, false).lag();
            run.rollback();
            assertThat(after).as("lag once the wait ended").isLessThanOrEqualTo(Duration.ofSeconds(2));
            assertThat(paused.get()).as("waited for the standby").isGreaterThan(1_000);
            log = pacerLog.lines();
        }
        assertThat(log).anySatisfy(line -> assertThat(line).startsWith("Purge standby-test run 1 slows down: replication lag"));
    }

    /** Without pg_read_all_stats the standby is there but its lag is not: known as hidden, not taken for zero. */
    @Test
    void aRoleWithoutPgReadAllStatsSeesTheStandbyButNotItsLag() throws Exception {
        try (Connection admin = connect(USER, PASSWORD)) {
            Jdbc.execute(admin, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pacing_unprivileged')"
                    + " THEN CREATE ROLE pacing_unprivileged LOGIN PASSWORD 'unprivileged-pw' NOINHERIT; END IF; END $$");
        }
        try (Connection run = connect("pacing_unprivileged", "unprivileged-pw")) {
            DatabaseProbes.Readings readings = DatabaseProbes.read(run, true, true);
            assertThat(readings.standbys()).isEqualTo(1);
            assertThat(readings.lag()).isNull();
            assertThat(readings.lagHidden()).isTrue();
            assertThat(readings.checkpointsRequested()).isNotNegative();
        }
    }
}
