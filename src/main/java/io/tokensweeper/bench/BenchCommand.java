package io.tokensweeper.bench;

import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.db.DatabaseFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code bench config.yml [--rows N] [--sizes N,N,N] [--out DIR] ...}: token-sweeper's purge against one big
 * DELETE on identical data, in two heap layouts and two table states, with and without a live auth workload,
 * and how both grow with the table; written to DIR/RESULTS.md, DIR/latency.png and DIR/cost-by-size.png.
 * Uses its own embedded PostgreSQL unless DATABASE_URL names a server (where it needs CREATEDB).
 */
public class BenchCommand extends ConfiguredCommand<TokenSweeperConfiguration> {
    static final String TEMPLATE = "bench_template";
    /** See {@link #rounds}. */
    static final int ROUNDS_WITHOUT_WORKLOAD = 3;
    private static final String NOT_MEASURED = "The scheduler's own cost was not measured";
    static final String DEFAULT_SIZES = "1000000,6000000,20000000";

    public BenchCommand() {
        super("bench", "Benchmark the purge against a single DELETE under a live workload");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--rows").type(Long.class).setDefault(6_000_000L)
                .help("refresh tokens in the table of the full scenario matrix (default 6,000,000)");
        subparser.addArgument("--sizes").setDefault(DEFAULT_SIZES)
                .help("table sizes of the growth study, comma-separated, or 'none' (default " + DEFAULT_SIZES
                        + "); a size equal to --rows reuses the matrix's results");
        subparser.addArgument("--rate").type(Integer.class).setDefault(200)
                .help("live workload, statements per second (default 200)");
        subparser.addArgument("--out").setDefault("bench").help("where RESULTS.md and the charts go");
        subparser.addArgument("--tuned-batch-size").dest("tunedBatchSize").type(Integer.class).setDefault(50_000)
                .help("batch size of the tuned backlog run (default 50,000)");
        subparser.addArgument("--gentle-pause-ms").dest("gentlePauseMs").type(Integer.class).setDefault(20)
                .help("pause between batches of the latency-first backlog run (default 20 ms)");
        subparser.addArgument("--wal-budget-mib").dest("walBudgetMib").type(Integer.class).setDefault(48)
                .help("cleanup.pacing.maxWalPerSecond of the WAL-budget backlog runs, MiB a second (default 48)");
        subparser.addArgument("--baseline-seconds").dest("baselineSeconds").type(Integer.class).setDefault(10)
                .help("how long the live workload runs alone for each no-purge baseline (default 10)");
        subparser.addArgument("--settle-ms").dest("settleMs").type(Integer.class).setDefault(1_000)
                .help("the live workload runs this long before its page rate is measured, as long again before"
                        + " the purge, and this long after it (default 1000)");
        subparser.addArgument("--partitioned").type(Boolean.class).setDefault(true)
                .help("also run the partitioned case at --rows: the backlog in a table partitioned by expiry, row"
                        + " deletion against dropping the expired partitions (default true; 'false' leaves it out;"
                        + " 9 s at 200,000 rows on 2 cores, about 2 to 3 minutes at 6,000,000)");
        subparser.addArgument("--skip-cluster-cost").dest("skipClusterCost").action(Arguments.storeTrue())
                .help("do not start two node processes to measure the scheduler's own cost");
    }

    /** The growth study's sizes: "1000000,6000000", or "none". */
    static List<Long> sizes(String text) {
        if (text.isBlank() || text.strip().equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Long> sizes = new ArrayList<>();
        for (String part : text.split(",")) {
            long size;
            try {
                size = Long.parseLong(part.strip().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sizes: '" + part.strip() + "' is not a number of rows");
            }
            if (size < 1_000) {
                throw new IllegalArgumentException("--sizes: every size must be at least 1000, was " + size);
            }
            if (!sizes.contains(size)) {
                sizes.add(size);
            }
        }
        return sizes;
    }

    @Override
    protected void run(Bootstrap<TokenSweeperConfiguration> bootstrap, Namespace namespace,
                       TokenSweeperConfiguration config) throws Exception {
        long rows = namespace.getLong("rows");
        int rate = namespace.getInt("rate");
        int baselineSeconds = namespace.getInt("baselineSeconds");
        int settleMs = namespace.getInt("settleMs");
        int walBudgetMib = namespace.getInt("walBudgetMib");
        if (rows < 1_000 || rate < 1 || baselineSeconds < 1 || settleMs < 100 || walBudgetMib < 1) {
            throw new IllegalArgumentException("--rows must be at least 1000, --rate, --baseline-seconds and"
                    + " --wal-budget-mib at least 1, --settle-ms at least 100");
        }
        if (!config.getCleanup().batchSettings().pacing().enabled()) {
            // The budget is one of pacing's signs: without pacing its scenarios would run unbudgeted, mislabelled.
            throw new IllegalArgumentException("--wal-budget-mib " + walBudgetMib + ": the WAL-budget scenarios need"
                    + " cleanup.pacing.enabled: true in the configuration (it is false)");
        }
        List<Long> sizes = sizes(namespace.getString("sizes"));
        Path out = Path.of(namespace.getString("out"));
        BenchPlan.Settings settings = new BenchPlan.Settings(config.getCleanup().batchSettings(),
                namespace.getInt("tunedBatchSize"), namespace.getInt("gentlePauseMs"), walBudgetMib);
        List<BenchCase> matrix = new ArrayList<>(BenchPlan.matrix(rows, settings));
        if (namespace.getBoolean("partitioned")) {
            matrix.add(BenchPlan.partitioned(rows, settings));
        }
        List<BenchCase> growth = new ArrayList<>();
        for (long size : sizes) {
            for (BenchCase g : BenchPlan.growth(size, settings)) {
                if (matrix.stream().noneMatch(m -> BenchPlan.covers(m, g))) {
                    growth.add(g);
                }
            }
        }
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
            BenchScenarios runner = new BenchScenarios(db, rate, settleMs);
            List<BenchReport.Part> parts = new ArrayList<>();
            Map<BenchCase, BenchReport.CaseResult> done = new LinkedHashMap<>();
            String clusterCost = null;
            Map<BenchData, List<BenchCase>> byTable = new LinkedHashMap<>();
            for (BenchCase c : concat(matrix, growth)) {
                byTable.computeIfAbsent(c.data(), d -> new ArrayList<>()).add(c);
            }
            for (Map.Entry<BenchData, List<BenchCase>> table : byTable.entrySet()) {
                System.out.printf("%s seeding %s...%n", now(), table.getKey().label());
                BenchDatabase.Template template = db.createTemplate(TEMPLATE, table.getKey());
                parts.add(new BenchReport.Part("seed " + table.getKey().label(), template.seedSeconds()));
                System.out.printf(Locale.ROOT, "%s seeded in %.0f s: %,d doomed, %,d MiB with indexes%n", now(),
                        template.seedSeconds(), template.doomed(), template.bytes() >> 20);
                try {
                    for (BenchCase c : table.getValue()) {
                        long start = System.nanoTime();
                        List<ScenarioResult> results = new ArrayList<>();
                        System.out.printf("%s %s (%,d rows)%n", now(), c.title(), c.data().rows());
                        List<Scenario> order = runOrder(c.scenarios());
                        // Unreported: the first purge of a case ran up to 45% slower than the same one later.
                        ScenarioResult warmUp = runner.run(c, order.get(0), TEMPLATE);
                        System.out.printf(Locale.ROOT, "%s   (warm-up, not reported: %s, %.2f s)%n", now(),
                                warmUp.name(), warmUp.seconds());
                        if (c.baseline()) {
                            results.add(report(runner.baseline(c, TEMPLATE, baselineSeconds * 1000L)));
                        }
                        Map<Scenario, List<ScenarioResult>> runs = new LinkedHashMap<>();
                        for (int round = 0; round < rounds(c); round++) {
                            for (Scenario scenario : order) {
                                runs.computeIfAbsent(scenario, s -> new ArrayList<>())
                                        .add(report(runner.run(c, scenario, TEMPLATE)));
                            }
                        }
                        Map<Scenario, ScenarioResult> byScenario = new LinkedHashMap<>();
                        runs.forEach((scenario, each) -> byScenario.put(scenario, median(each)));
                        for (Scenario scenario : c.scenarios()) {
                            results.add(byScenario.get(scenario));
                        }
                        done.put(c, new BenchReport.CaseResult(c, template, results));
                        parts.add(new BenchReport.Part((matrix.contains(c) ? "" : "growth: ") + c.title() + ", "
                                + String.format(Locale.ROOT, "%,d rows", c.data().rows()), (System.nanoTime() - start) / 1e9));
                    }
                    if (clusterCost == null) {
                        long start = System.nanoTime();
                        clusterCost = clusterCost(namespace, db);
                        if (!clusterCost.startsWith(NOT_MEASURED)) {
                            parts.add(new BenchReport.Part("the scheduler's own cost (an idle HA pair)",
                                    (System.nanoTime() - start) / 1e9));
                        }
                    }
                } finally {
                    db.drop(TEMPLATE);
                }
            }
            List<BenchReport.CaseResult> matrixResults = matrix.stream().map(done::get).toList();
            BenchReport.write(out, new BenchReport.Report(setup(db, serverUrl, embedded != null, rows, rate, settleMs),
                    matrixResults, growthRows(sizes, settings, done.values()), clusterCost, parts));
            System.out.println("Wrote " + out.resolve("RESULTS.md") + " and its charts");
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /**
     * How many times each scenario of a case runs, in interleaved rounds: a case without the workload purges in
     * about a second, where this machine's noise (the same purge 20-30% apart from one run to the next) would
     * decide the ratios alone; so it runs {@link #ROUNDS_WITHOUT_WORKLOAD} times and reports the
     * median. A case under the workload runs once: its purges are longer and its windows the costly part.
     */
    static int rounds(BenchCase benchCase) {
        return benchCase.workload() ? 1 : ROUNDS_WITHOUT_WORKLOAD;
    }

    /** The run of median seconds (of an even count, the faster of the two middle ones). */
    static ScenarioResult median(List<ScenarioResult> runs) {
        List<ScenarioResult> sorted = runs.stream().sorted(java.util.Comparator.comparingDouble(
                ScenarioResult::seconds)).toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    /**
     * The order scenarios run in: the single DELETE last, after a warm-up run of the first of the others. Measured
     * (bench/FINDINGS.md): the scenario run right after the single DELETE took 19-27% longer than the same scenario
     * later in the case, and the first purge of a case up to 45% longer (the single DELETE: 4.63 s first, 3.19 s
     * last). Reported in the plan's order.
     */
    static List<Scenario> runOrder(List<Scenario> scenarios) {
        List<Scenario> order = new ArrayList<>(scenarios.stream()
                .filter(s -> !s.name().equals(Scenario.SINGLE_DELETE)).toList());
        scenarios.stream().filter(s -> s.name().equals(Scenario.SINGLE_DELETE)).forEach(order::add);
        return order;
    }

    private static List<BenchCase> concat(List<BenchCase> a, List<BenchCase> b) {
        List<BenchCase> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The growth study's points, from whichever case measured them (the matrix's at its own size). */
    static List<BenchReport.GrowthRow> growthRows(List<Long> sizes, BenchPlan.Settings settings,
                                                  Iterable<BenchReport.CaseResult> done) {
        String sweeper = BenchPlan.defaults(settings).name();
        List<BenchReport.GrowthRow> rows = new ArrayList<>();
        for (long size : sizes) {
            for (BenchCase wanted : BenchPlan.growth(size, settings)) {
                for (BenchReport.CaseResult c : done) {
                    if (BenchPlan.covers(c.benchCase(), wanted)) {
                        rows.add(new BenchReport.GrowthRow(wanted.data().state(), size, c.template().doomed(),
                                c.result(Scenario.SINGLE_DELETE).orElseThrow(), c.result(sweeper).orElseThrow()));
                        break;
                    }
                }
            }
        }
        return rows;
    }

    private static String now() {
        return LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"));
    }

    private static ScenarioResult report(ScenarioResult result) {
        System.out.printf(Locale.ROOT, "%s   %-45s %,10d rows in %6.2f s (%,.0f rows/s), %s pages/row;%s longest purge tx"
                        + " %.0f ms; %s%n", now(), result.name(), result.rowsDeleted(), result.seconds(),
                result.rowsPerSecond(), BenchReport.pagesPerRow(result.pagesPerRow()),
                result.workload() ? String.format(Locale.ROOT, " live p99 %.1f ms;", result.p99Ms()) : "",
                result.longestPurgeTransactionMs(), result.how());
        return result;
    }

    private static String clusterCost(Namespace namespace, BenchDatabase db) throws Exception {
        Path jar = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (namespace.getBoolean("skipClusterCost") || !jar.toString().endsWith(".jar")) {
            return NOT_MEASURED + " in this run (--skip-cluster-cost, or not run from the jar).\n";
        }
        String database = "bench_cluster";
        db.cloneTemplate(TEMPLATE, database);
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

    private static String setup(BenchDatabase db, String serverUrl, boolean embedded, long rows, int rate, int settleMs)
            throws Exception {
        try (Connection connection = DriverManager.getConnection(serverUrl, db.credentials());
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT current_setting('server_version'), current_setting('fsync'),"
                     + " current_setting('synchronous_commit'), current_setting('full_page_writes'),"
                     + " current_setting('shared_buffers'), current_setting('max_wal_size'),"
                     + " current_setting('checkpoint_timeout'), current_setting('wal_compression')")) {
            rs.next();
            return String.format(Locale.ROOT, """
                    ## Setup

                    Machine: %s. PostgreSQL %s, %s (fsync=%s, synchronous_commit=%s, full_page_writes=%s,\
                     shared_buffers=%s, max_wal_size=%s, checkpoint_timeout=%s, wal_compression=%s).

                    Data: refresh tokens issued at an even pace, each living %d days; the full matrix at %,d rows, the\
                     growth study at each of its sizes. Two heap layouts of the same rows: **creation-ordered** (appended\
                     as issued: the expired rows are the front of the heap; revocations anywhere) and **scattered** (a\
                     pseudo-random heap order). Two states: the **backlog** (the first run on a table never purged: about\
                     half of it doomed) and the **steady state** (a daily run: about 1%% doomed). Each template is seeded\
                     once and cloned per scenario (CREATE DATABASE ... TEMPLATE, as a file copy on PostgreSQL 15+, which\
                     ends with a checkpoint: every purge starts right after one, so its first change to a page writes the\
                     whole page to WAL, as a nightly purge's does). Autovacuum is off for the table, so that no vacuum\
                     runs in one scenario and not in another. Each case first runs its first token-sweeper scenario once,\
                     unreported, and runs the single DELETE last: the first purge of a case, and the one right after the\
                     single DELETE, measured 19-45%% slower than the same purge elsewhere in the case (bench/FINDINGS.md).\
                     Each scenario starts once its connection pool is full and sync(1) has written the machine's dirty\
                     pages (the kernel's writeback of earlier scenarios' pages otherwise lands in a later purge). A case\
                     without the live workload runs its scenarios %d times, in interleaved rounds, and reports each\
                     one's run of median seconds (the same purge measured 20-30%% apart between runs on this machine).

                    Live workload (where a case says so): %d statements/s on 4 connections (40%% insert a token, 30%%\
                     revoke a random token by id, 30%% read a token by hash); its latencies are of the statements issued\
                     while the purge ran, and "p99 × no purge" compares with the same case's no-purge window.

                    Measured: **seconds** are the purge's run only (token-sweeper's service started and the DELETE's\
                     connection opened before). **pages/row** are the table's page accesses (heap + index + TOAST,\
                     `pg_statio_user_tables`: blocks read plus buffer hits, so a page read twice counts twice and each\
                     deleted row costs at least one) per deleted row, from the counters right before and right after\
                     the purge: every session flushes its statistics first (`pg_stat_force_next_flush()`; the purge's\
                     sessions flush as they close). Under the live workload its own accesses are subtracted: its\
                     accesses per statement over the %d ms before the purge, times the statements it issued during the\
                     purge (per statement, not per second: while the single DELETE holds its row locks the workload's\
                     revokes wait and read nothing). **WAL** is what the server wrote during the purge, the workload's included. The longest\
                     purge transaction and lock wait are sampled from `pg_stat_activity` every 20 ms.""",
                    machine(), rs.getString(1), embedded ? "embedded, on the same machine"
                            : "the server DATABASE_URL names (its load and hardware are not known here)",
                    rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                    rs.getString(7), rs.getString(8), BenchData.LIFETIME_DAYS, rows, ROUNDS_WITHOUT_WORKLOAD, rate, settleMs);
        }
    }

    /** Cores, CPU model and memory, as far as this JVM can tell. */
    static String machine() {
        String cpu = "";
        long memKib = 0;
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.replaceFirst("^[^:]*:\\s*", "")).findFirst().orElse("");
            memKib = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0L);
        } catch (IOException | RuntimeException e) {
            // not Linux: say what the JVM knows
        }
        return String.format(Locale.ROOT, "%d cores%s%s, %s %s", Runtime.getRuntime().availableProcessors(),
                cpu.isEmpty() ? "" : " (" + cpu + ")", memKib == 0 ? "" : String.format(Locale.ROOT, ", %.0f GiB memory",
                        memKib / 1048576.0), System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        cli.getStdErr().println("bench failed: " + e.getMessage());
    }
}
