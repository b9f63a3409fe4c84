package io.tokensweeper.bench;

import com.codahale.metrics.MetricRegistry;
import io.tokensweeper.db.Jdbc;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * One way to purge the benchmark's table, by name: the single DELETE, or token-sweeper set up some way.
 * Adding a scenario to a case is one line in {@link BenchPlan}, e.g.
 * {@code Scenario.sweeper("token-sweeper, batch 50000", defaults.withSize(50_000))}.
 */
record Scenario(String name, Purger purger) {
    static final String SINGLE_DELETE = "single DELETE (pg_cron / @Cron)";
    static final String APPLICATION_NAME = "bench-purge";

    /** Opens what a purge needs (connections, a started service) outside the measured time. */
    @FunctionalInterface
    interface Purger {
        PreparedPurge prepare(DataSource pool) throws Exception;
    }

    /** A purge ready to run: {@link #run()} is what the benchmark times; close() releases its connections. */
    interface PreparedPurge extends AutoCloseable {
        Outcome run() throws Exception;

        @Override
        void close() throws SQLException;
    }

    /** What a purge did: its rows, and how it found them (the plan, or the engine's method and batches). */
    record Outcome(long rowsDeleted, String how) {
    }

    /** Builds the service a token-sweeper scenario runs, on the scenario's own pool. */
    @FunctionalInterface
    interface ServiceSetup {
        PurgeService create(DataSource pool);
    }

    /** One {@code DELETE ... WHERE revoked OR expires_at < now()}: what pg_cron or an app's {@code @Cron} runs. */
    static Scenario singleDelete() {
        String delete = "DELETE FROM public.refresh_tokens WHERE revoked OR expires_at < now()";
        return new Scenario(SINGLE_DELETE, pool -> {
            String plan;
            try (Connection connection = pool.getConnection()) {
                plan = String.join("\n", Jdbc.list(connection, "EXPLAIN (COSTS OFF) " + delete, rs -> rs.getString(1)));
            }
            return new PreparedPurge() {
                @Override
                public Outcome run() throws Exception {
                    try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
                        return new Outcome(statement.executeUpdate(delete), planSummary(plan));
                    }
                }

                @Override
                public void close() {
                }
            };
        });
    }

    /** token-sweeper's engine with these batch settings, on the refresh-token target with its defaults. */
    static Scenario sweeper(String name, BatchSettings batch) {
        return service(name, pool -> purgeService(refreshTokensOnly(), batch, pool));
    }

    /** The cleanup configuration of a token-sweeper scenario: the refresh-token target alone, with its defaults. */
    static CleanupFactory refreshTokensOnly() {
        CleanupFactory cleanup = new CleanupFactory();
        cleanup.getPasswordResets().setEnabled(false);
        return cleanup;
    }

    /** The service a token-sweeper scenario runs, as {@link #sweeper} builds it, for any cleanup configuration. */
    static PurgeService purgeService(CleanupFactory cleanup, BatchSettings batch, DataSource pool) {
        return new PurgeService(cleanup, batch, pool, "sweeper", new MetricRegistry(), "bench", Clock.systemUTC());
    }

    /** token-sweeper set up by the caller: any configuration PurgeService accepts. */
    static Scenario service(String name, ServiceSetup setup) {
        return new Scenario(name, pool -> {
            PurgeService service = setup.create(pool);
            service.start();
            return new PreparedPurge() {
                @Override
                public Outcome run() {
                    PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
                    if (!result.succeeded()) {
                        throw new IllegalStateException("the purge did not succeed: " + result.summary());
                    }
                    return new Outcome(result.rowsDeleted(), String.format(Locale.ROOT, "%s, %,d %s",
                            methodOf(result), result.batches(), result.batches() == 1 ? "batch" : "batches"));
                }

                @Override
                public void close() {
                    service.stop();
                }
            };
        });
    }

    /** How the run found its rows: "heap walk", "index walk", or nothing for a dry run. */
    static String methodOf(PurgeResult result) {
        return result.method() == null ? "" : result.method().id() + " walk";
    }

    private static final Pattern BITMAP_INDEX = Pattern.compile("^Bitmap Index Scan on (\\S+)");
    private static final Pattern INDEX_SCAN = Pattern.compile("^(Index (?:Only )?Scan(?: Backward)?) using (\\S+)");

    /** The scan of a DELETE's plan with the indexes it reads: "Seq Scan", "Bitmap Heap Scan (a_idx, b_idx)". */
    static String planSummary(String explain) {
        String scan = null;
        List<String> indexes = new ArrayList<>();
        for (String line : explain.split("\n")) {
            String node = line.strip().replaceFirst("^->\\s*", "");
            Matcher bitmapIndex = BITMAP_INDEX.matcher(node);
            Matcher indexScan = INDEX_SCAN.matcher(node);
            if (bitmapIndex.find()) {
                indexes.add(bitmapIndex.group(1));
            } else if (indexScan.find()) {
                indexes.add(indexScan.group(2));
                scan = scan == null ? indexScan.group(1) : scan;
            } else if (scan == null && node.matches("^[A-Z][A-Za-z ]* Scan on .*")) {
                scan = node.replaceFirst(" on .*$", "");
            }
        }
        if (scan == null) {
            return "plan: " + explain.lines().findFirst().orElse("?").strip();
        }
        return indexes.isEmpty() ? scan : scan + " (" + String.join(", ", indexes) + ")";
    }
}
