package io.tokensweeper.bench;

import com.codahale.metrics.MetricRegistry;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeRequest;
import io.tokensweeper.purge.PurgeResult;
import io.tokensweeper.purge.PurgeService;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;

/** Runs one scenario on a fresh clone of the template: the live workload around a purge (or around nothing). */
final class BenchScenarios {
    private static final long SETTLE_MS = 1_000;

    @FunctionalInterface
    interface Purge {
        long run(String database) throws Exception;
    }

    private final BenchDatabase db;
    private final int workloadRate;
    private final long rows;
    private int counter;

    BenchScenarios(BenchDatabase db, int workloadRate, long rows) {
        this.db = db;
        this.workloadRate = workloadRate;
        this.rows = rows;
    }

    ScenarioResult baseline(long millis) throws Exception {
        return run("no purge (live workload alone)", database -> {
            Thread.sleep(millis);
            return 0;
        });
    }

    ScenarioResult singleStatement() throws Exception {
        return run("single DELETE (pg_cron / @Cron)", database -> {
            try (Connection connection = purgeConnection(database); Statement statement = connection.createStatement()) {
                return statement.executeUpdate("DELETE FROM public.refresh_tokens WHERE revoked OR expires_at < now()");
            }
        });
    }

    ScenarioResult sweeper(String name, BatchSettings batch) throws Exception {
        return run(name, database -> {
            try (HikariDataSource pool = purgePool(database)) {
                CleanupFactory cleanup = new CleanupFactory();
                cleanup.getPasswordResets().setEnabled(false);
                PurgeService service = new PurgeService(cleanup, batch, pool, "sweeper", new MetricRegistry(),
                        "bench", Clock.systemUTC());
                service.start();
                PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
                if (!result.succeeded()) {
                    throw new IllegalStateException("the purge did not succeed: " + result.summary());
                }
                return result.rowsDeleted();
            }
        });
    }

    private ScenarioResult run(String name, Purge purge) throws Exception {
        String database = "bench_run_" + (++counter);
        db.cloneTemplate(database);
        try (Connection admin = db.connect(database)) {
            String wal = BenchDatabase.walPosition(admin);
            try (SessionMonitor monitor = new SessionMonitor(db.urlOf(database), db.credentials());
                 LiveWorkload workload = new LiveWorkload(db.urlOf(database), db.credentials(), workloadRate, rows)) {
                workload.start();
                Thread.sleep(SETTLE_MS);
                long start = System.nanoTime();
                long deleted = purge.run(database);
                long end = System.nanoTime();
                Thread.sleep(SETTLE_MS);
                List<LiveWorkload.Sample> samples = workload.stop();
                long walBytes = BenchDatabase.walSince(admin, wal);
                long windowStart = SETTLE_MS;
                long windowEnd = SETTLE_MS + (end - start) / 1_000_000;
                List<LiveWorkload.Sample> during = samples.stream()
                        .filter(s -> s.atMillis() >= windowStart && s.atMillis() <= windowEnd).toList();
                return new ScenarioResult(name, deleted, (end - start) / 1e9,
                        ScenarioResult.percentile(during, 0.50), ScenarioResult.percentile(during, 0.99),
                        ScenarioResult.percentile(during, 1.0), monitor.longestPurgeTransactionMs(),
                        monitor.longestLockWaitMs(), walBytes, workload.errors(), samples);
            }
        } finally {
            db.drop(database);
        }
    }

    private Connection purgeConnection(String database) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(db.credentials());
        properties.setProperty("ApplicationName", "bench-purge");
        return java.sql.DriverManager.getConnection(db.urlOf(database), properties);
    }

    private HikariDataSource purgePool(String database) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.urlOf(database));
        config.setUsername(db.credentials().getProperty("user"));
        config.setPassword(db.credentials().getProperty("password"));
        config.addDataSourceProperty("ApplicationName", "bench-purge");
        config.setMaximumPoolSize(3);
        config.setPoolName("bench-purge");
        return new HikariDataSource(config);
    }
}
