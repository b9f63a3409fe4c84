package io.tokensweeper.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one scenario on a fresh clone of a template: the purge alone, or the live workload around it (or
 * around nothing, for the no-purge baseline). Times only the purge's run (its connections and a started
 * service are ready before), and counts only the purge's page accesses to the table: the statistics are
 * flushed and read right before and right after it, once the purge's sessions are gone; under the live
 * workload the workload's own accesses are subtracted, at the rate per statement it showed just before
 * the purge, for the statements it issued while the purge ran.
 */
final class BenchScenarios {
    static final String BASELINE = "no purge (live workload alone)";

    private final BenchDatabase db;
    private final int workloadRate;
    private final long settleMillis;
    private int counter;

    BenchScenarios(BenchDatabase db, int workloadRate, long settleMillis) {
        this.db = db;
        this.workloadRate = workloadRate;
        this.settleMillis = settleMillis;
    }

    ScenarioResult baseline(BenchCase benchCase, String template, long millis) throws Exception {
        Scenario idle = new Scenario(BASELINE, pool -> new Scenario.PreparedPurge() {
            @Override
            public Scenario.Outcome run() throws InterruptedException {
                Thread.sleep(millis);
                return new Scenario.Outcome(0, "");
            }

            @Override
            public void close() {
            }
        });
        return run(benchCase, idle, template);
    }

    ScenarioResult run(BenchCase benchCase, Scenario scenario, String template) throws Exception {
        String database = "bench_run_" + (++counter);
        db.cloneTemplate(template, database);
        try (Connection admin = db.connect(database, "bench-admin")) {
            HikariDataSource pool = purgePool(database);
            Scenario.PreparedPurge purge;
            try {
                purge = scenario.purger().prepare(pool);
                awaitFilled(pool);
                flushIdleSessions(pool);
                BenchDatabase.syncDisks();
            } catch (Exception | Error e) {
                pool.close();
                throw e;
            }
            try (SessionMonitor monitor = new SessionMonitor(db.urlOf(database), db.credentials());
                 LiveWorkload workload = benchCase.workload() ? new LiveWorkload(db.urlOf(database),
                         db.credentials(), workloadRate, benchCase.data().rows(), db.flushableStats()) : null) {
                long beforeMark = 0;
                PageCount before = PageCount.ZERO;
                if (workload != null) {
                    workload.start();
                    Thread.sleep(settleMillis);
                    beforeMark = flushWorkload(workload);
                    before = PageCount.of(admin);
                    Thread.sleep(settleMillis);
                }
                long startMark = workload == null ? 0 : flushWorkload(workload);
                PageCount start = PageCount.of(admin);
                String wal = BenchDatabase.walPosition(admin);
                long purgeStartMs = workload == null ? 0 : workload.elapsedMillis();
                long startNanos = System.nanoTime();
                long endNanos;
                Scenario.Outcome outcome;
                try {
                    outcome = purge.run();
                } finally {
                    endNanos = System.nanoTime();
                    closeBoth(purge, pool);
                }
                double seconds = (endNanos - startNanos) / 1e9;
                long purgeEndMs = purgeStartMs + (long) (seconds * 1000);
                BenchDatabase.awaitPurgeSessionsGone(admin, database);
                long endMark = workload == null ? 0 : flushWorkload(workload);
                if (workload == null) {
                    db.settleStats();
                }
                PageCount end = PageCount.of(admin);
                long[] after = BenchDatabase.deadTuplesAndLeaves(admin);
                long walBytes = BenchDatabase.walSince(admin, wal);
                List<LiveWorkload.Sample> samples = List.of();
                PageCount pages = end.minus(start);
                if (workload != null) {
                    Thread.sleep(settleMillis);
                    samples = workload.stop();
                    PageCount alone = start.minus(before);
                    long aloneStatements = LiveWorkload.statementsBetween(samples, beforeMark, startMark);
                    long duringStatements = LiveWorkload.statementsBetween(samples, startMark, endMark);
                    if (aloneStatements > 0) {
                        pages = pages.minus(alone.times((double) duringStatements / aloneStatements)).atLeastZero();
                    }
                }
                List<LiveWorkload.Sample> during = samples.stream()
                        .filter(s -> s.atMillis() >= purgeStartMs && s.atMillis() <= purgeEndMs).toList();
                return new ScenarioResult(scenario.name(), outcome.how(), outcome.rowsDeleted(), seconds, pages,
                        workload != null, ScenarioResult.percentile(during, 0.50),
                        ScenarioResult.percentile(during, 0.99), ScenarioResult.percentile(during, 1.0),
                        monitor.longestPurgeTransactionMs(), monitor.longestLockWaitMs(), walBytes,
                        workload == null ? 0 : workload.errors(), samples, purgeStartMs, after[0], after[1]);
            }
        } finally {
            db.drop(database);
        }
    }

    /** Flushes the workload's statistics (waiting out the stats interval on servers that cannot be asked). */
    private long flushWorkload(LiveWorkload workload) throws InterruptedException {
        long mark = workload.flushStats();
        db.settleStats();
        return mark;
    }

    /**
     * Waits (at most 30 s) until the pool has opened all its connections, which it does in the background from its
     * start: a backend starting up while a purge is timed takes CPU from it (a service's pool is long filled).
     */
    private static void awaitFilled(HikariDataSource pool) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pool.getHikariPoolMXBean().getTotalConnections() < pool.getMaximumPoolSize()
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (pool.getHikariPoolMXBean().getTotalConnections() < pool.getMaximumPoolSize()) {
            System.out.printf("   (the purge's pool opened %d of its %d connections in 30 s: timed as it is)%n",
                    pool.getHikariPoolMXBean().getTotalConnections(), pool.getMaximumPoolSize());
        }
    }

    /**
     * Makes the pool's idle sessions flush what preparing the purge left in their statistics, so that it
     * is not counted as the purge's. (A session the prepared purge holds keeps its own until it ends.)
     */
    private void flushIdleSessions(HikariDataSource pool) throws SQLException {
        if (!db.flushableStats()) {
            return;
        }
        int idle = pool.getHikariPoolMXBean().getIdleConnections();
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < idle; i++) {
                Connection connection = pool.getConnection();
                held.add(connection);
                Jdbc.execute(connection, "SELECT pg_stat_force_next_flush()");
            }
        } finally {
            for (Connection connection : held) {
                connection.close();
            }
        }
    }

    private static void closeBoth(Scenario.PreparedPurge purge, HikariDataSource pool) throws Exception {
        try {
            purge.close();
        } finally {
            pool.close();
        }
    }

    private HikariDataSource purgePool(String database) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.urlOf(database));
        config.setUsername(db.credentials().getProperty("user"));
        config.setPassword(db.credentials().getProperty("password"));
        config.addDataSourceProperty("ApplicationName", Scenario.APPLICATION_NAME);
        config.setMaximumPoolSize(6);
        config.setPoolName(Scenario.APPLICATION_NAME);
        return new HikariDataSource(config);
    }
}
