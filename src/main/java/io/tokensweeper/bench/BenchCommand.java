package io.tokensweeper.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.db.DatabaseFactory;
import io.tokensweeper.db.Migrations;
import io.tokensweeper.purge.BatchSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code bench config.yml [--rows N] [--rate TPS] [--out DIR]}: token-sweeper's purge against one big
 * DELETE on identical data, under a live auth workload, written to DIR/RESULTS.md and DIR/latency.png.
 * Uses its own embedded PostgreSQL unless DATABASE_URL names a server (where it needs CREATEDB).
 */
public class BenchCommand extends ConfiguredCommand<TokenSweeperConfiguration> {
    public BenchCommand() {
        super("bench", "Benchmark the purge against a single DELETE under a live workload");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--rows").type(Long.class).setDefault(6_000_000L)
                .help("refresh tokens to seed, half of them doomed (default 6,000,000)");
        subparser.addArgument("--rate").type(Integer.class).setDefault(200)
                .help("live workload, statements per second (default 200)");
        subparser.addArgument("--out").setDefault("bench").help("where RESULTS.md and latency.png go");
        subparser.addArgument("--tuned-batch-size").dest("tunedBatchSize").type(Integer.class).setDefault(20_000)
                .help("batch size of the tuned run (default 20,000)");
        subparser.addArgument("--gentle-pause-ms").dest("gentlePauseMs").type(Integer.class).setDefault(20)
                .help("pause between batches of the latency-first run (default 20 ms)");
        subparser.addArgument("--baseline-seconds").dest("baselineSeconds").type(Integer.class).setDefault(10)
                .help("how long the live workload runs alone for the no-purge baseline (default 10)");
        subparser.addArgument("--skip-cluster-cost").dest("skipClusterCost").action(Arguments.storeTrue())
                .help("do not start two node processes to measure the scheduler's own cost");
    }

    @Override
    protected void run(Bootstrap<TokenSweeperConfiguration> bootstrap, Namespace namespace,
                       TokenSweeperConfiguration config) throws Exception {
        long rows = namespace.getLong("rows");
        int rate = namespace.getInt("rate");
        int baselineSeconds = namespace.getInt("baselineSeconds");
        if (rows < 1_000 || rate < 1 || baselineSeconds < 1) {
            throw new IllegalArgumentException("--rows must be at least 1000, --rate and --baseline-seconds at least 1");
        }
        Path out = Path.of(namespace.getString("out"));
        DatabaseFactory database = config.getDatabase();
        EmbeddedPostgres embedded = null;
        try {
            String serverUrl;
            Properties credentials = new Properties();
            if (database.isEmbedded()) {
                embedded = EmbeddedPostgres.builder()
                        .setDataDirectory(Files.createTempDirectory("token-sweeper-bench-"))
                        .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on").setServerConfig("shared_buffers", "512MB")
                        .setServerConfig("max_wal_size", "8GB").setServerConfig("checkpoint_timeout", "30min")
                        .setServerConfig("max_connections", "100").start();
                serverUrl = embedded.getJdbcUrl("postgres", "postgres").replaceAll("\\?.*$", "");
                credentials.setProperty("user", "postgres");
                credentials.setProperty("password", "");
            } else {
                serverUrl = database.getUrl();
                credentials.setProperty("user", database.getUser());
                credentials.setProperty("password", database.getPassword());
            }
            BenchDatabase db = new BenchDatabase(serverUrl, credentials);
            System.out.printf("Seeding %,d refresh tokens into the template database...%n", rows);
            long seedStart = System.nanoTime();
            db.createTemplate(rows);
            migrate(db);
            double seedSeconds = (System.nanoTime() - seedStart) / 1e9;

            BenchScenarios scenarios = new BenchScenarios(db, rate, rows);
            BatchSettings defaults = config.getCleanup().getBatch().build();
            List<ScenarioResult> results = new ArrayList<>();
            results.add(report(scenarios.baseline(baselineSeconds * 1000L)));
            results.add(report(scenarios.singleStatement()));
            results.add(report(scenarios.sweeper("token-sweeper, defaults (batch " + defaults.size() + ")", defaults)));
            int pause = namespace.getInt("gentlePauseMs");
            results.add(report(scenarios.sweeper("token-sweeper, batch " + defaults.size() + " + " + pause + " ms pauses",
                    defaults.withPause(java.time.Duration.ofMillis(pause)))));
            int tuned = namespace.getInt("tunedBatchSize");
            results.add(report(scenarios.sweeper("token-sweeper, batch " + tuned, defaults.withSize(tuned))));

            String clusterCost = clusterCost(namespace, bootstrap, db);
            BenchReport.write(out, setup(db, rows, rate, seedSeconds), results, clusterCost);
            System.out.println("Wrote " + out.resolve("RESULTS.md") + " and " + out.resolve("latency.png"));
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static ScenarioResult report(ScenarioResult result) {
        System.out.printf(Locale.ROOT, "%-45s %,10d rows in %6.2f s (%,.0f rows/s); live p99 %.1f ms, max %.1f ms;"
                        + " longest purge tx %.0f ms%n", result.name(), result.rowsDeleted(), result.seconds(),
                result.rowsPerSecond(), result.p99Ms(), result.maxMs(), result.longestPurgeTransactionMs());
        return result;
    }

    private static void migrate(BenchDatabase db) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.urlOf(BenchDatabase.TEMPLATE));
        config.setUsername(db.credentials().getProperty("user"));
        config.setPassword(db.credentials().getProperty("password"));
        config.setMaximumPoolSize(2);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            new Migrations(pool, "sweeper").migrate();
        }
    }

    private static String clusterCost(Namespace namespace, Bootstrap<?> bootstrap, BenchDatabase db) throws Exception {
        Path jar = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (namespace.getBoolean("skipClusterCost") || !jar.toString().endsWith(".jar")) {
            return "The scheduler's own cost was not measured in this run (--skip-cluster-cost, or not run from the jar).";
        }
        String database = "bench_cluster";
        db.cloneTemplate(database);
        try (Connection connection = db.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE public.password_resets (id bigserial PRIMARY KEY, expires_at timestamptz"
                    + " NOT NULL, used boolean NOT NULL DEFAULT false)");
        }
        try {
            System.out.println("Measuring an idle HA pair for 70 s...");
            return ClusterCost.measure(jar, Path.of(namespace.getString("file")), db, database);
        } finally {
            db.drop(database);
        }
    }

    private static String setup(BenchDatabase db, long rows, int rate, double seedSeconds) throws Exception {
        try (Connection connection = db.connect(BenchDatabase.TEMPLATE); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT current_setting('server_version'), current_setting('fsync'),"
                     + " current_setting('synchronous_commit'), current_setting('shared_buffers'),"
                     + " pg_size_pretty(pg_total_relation_size('public.refresh_tokens'))")) {
            rs.next();
            return String.format(Locale.ROOT, "Setup: %,d refresh tokens (30%% expired, 20%% revoked, 50%% live) with four"
                            + " indexes (%s with indexes), seeded in %.0f s and cloned per scenario with CREATE DATABASE"
                            + " ... TEMPLATE. PostgreSQL %s (fsync=%s, synchronous_commit=%s, shared_buffers=%s) on %d"
                            + " cores. Live workload: %d statements/s on 4 connections (40%% insert a token, 30%% revoke"
                            + " a random token by id, 30%% read a token by hash).",
                    rows, rs.getString(5), seedSeconds, rs.getString(1), rs.getString(2), rs.getString(3),
                    rs.getString(4), Runtime.getRuntime().availableProcessors(), rate);
        }
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        cli.getStdErr().println("bench failed: " + e.getMessage());
    }
}
