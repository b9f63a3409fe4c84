package io.tokensweeper.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tokensweeper.db.Jdbc;
import io.tokensweeper.db.Migrations;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's server: template databases seeded once per {@link BenchData}, cloned with
 * CREATE DATABASE ... TEMPLATE for each scenario so every run starts from identical data.
 */
final class BenchDatabase {
    /** What seeding a template found. */
    record Template(String name, BenchData data, long doomed, long bytes, double seedSeconds) {
    }

    private final String serverUrl;
    private final Properties credentials;
    private final int serverVersion;

    BenchDatabase(String serverUrl, Properties credentials) throws SQLException {
        this.serverUrl = serverUrl;
        this.credentials = credentials;
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials)) {
            this.serverVersion = (int) Jdbc.oneLong(admin, "SELECT current_setting('server_version_num')::int");
        }
    }

    String urlOf(String database) {
        int slash = serverUrl.indexOf('/', "jdbc:postgresql://".length());
        return serverUrl.substring(0, slash + 1) + database;
    }

    Properties credentials() {
        return credentials;
    }

    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(urlOf(database), credentials);
    }

    Connection connect(String database, String applicationName) throws SQLException {
        Properties properties = new Properties();
        properties.putAll(credentials);
        properties.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(urlOf(database), properties);
    }

    /** PostgreSQL 15+ keeps statistics in shared memory, and a session can be asked to flush its own. */
    boolean flushableStats() {
        return serverVersion >= 150_000;
    }

    /** Older servers send statistics to their collector at most every 500 ms: wait that out. */
    void settleStats() throws InterruptedException {
        if (!flushableStats()) {
            Thread.sleep(1_500);
        }
    }

    /**
     * Writes the machine's dirty pages to disk (sync(1)) before a scenario: the page cache holds up to gigabytes
     * written by the seeding and the scenarios before (measured: 600 MB dirty between scenarios; the kernel
     * writes them back 30 s later), whose writeback would otherwise compete with whichever purge runs then. No
     * sync(1) on the machine: nothing is done. The server is on this machine unless DATABASE_URL names another.
     */
    static void syncDisks() throws InterruptedException {
        try {
            Process sync = new ProcessBuilder("sync").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!sync.waitFor(5, TimeUnit.MINUTES)) {
                sync.destroy();
            }
        } catch (IOException e) {
            // No sync(1): the scenario starts without it.
        }
    }

    /** Seeds a template database with the data, token-sweeper's own schema included. */
    Template createTemplate(String name, BenchData data) throws SQLException {
        long start = System.nanoTime();
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name);
            statement.execute("CREATE DATABASE " + name);
        }
        try (Connection connection = connect(name); Statement statement = connection.createStatement()) {
            for (String sql : data.seedStatements()) {
                statement.execute(sql);
            }
        }
        migrate(name);
        try (Connection connection = connect(name)) {
            long doomed = Jdbc.oneLong(connection,
                    "SELECT count(*) FROM public.refresh_tokens WHERE revoked OR expires_at < now()");
            long bytes = Jdbc.oneLong(connection, "SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint"
                    + " FROM " + PageCount.TABLES + " AS t");
            return new Template(name, data, doomed, bytes, (System.nanoTime() - start) / 1e9);
        }
    }

    private void migrate(String database) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(urlOf(database));
        config.setUsername(credentials.getProperty("user"));
        config.setPassword(credentials.getProperty("password"));
        config.setMaximumPoolSize(2);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            new Migrations(pool, "sweeper").migrate();
        }
    }

    /**
     * A copy of the template. On PostgreSQL 15+ as a file copy (what 14 always does): for a large template
     * faster than logging every page, and it ends with a checkpoint, so every scenario starts right after
     * one, as a nightly purge does in effect (its first change to each page writes the full page to WAL).
     */
    void cloneTemplate(String template, String database) throws SQLException {
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database);
            statement.execute("CREATE DATABASE " + database + " TEMPLATE " + template
                    + (serverVersion >= 150_000 ? " STRATEGY FILE_COPY" : ""));
        }
    }

    void drop(String database) throws SQLException {
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    /**
     * Waits until the purge's sessions have left the database: every client session but the benchmark's own
     * (whatever application_name the engine may give its sessions). A session flushes its statistics as it
     * exits, before it leaves pg_stat_activity.
     */
    static void awaitPurgeSessionsGone(Connection admin, String database) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Jdbc.oneLong(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = ?"
                + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                + " AND application_name NOT IN ('bench-admin', 'bench-monitor', 'bench-workload')", database) > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the purge's sessions were still connected to " + database
                        + " 30 s after their pool closed");
            }
            Thread.sleep(10);
        }
    }

    /** The table's dead tuples (n_dead_tup) summed over its leaf partitions, and how many leaves it has. */
    static long[] deadTuplesAndLeaves(Connection connection) throws SQLException {
        Jdbc.execute(connection, "SELECT pg_stat_clear_snapshot()");
        return Jdbc.one(connection, "SELECT coalesce(sum(s.n_dead_tup), 0)::bigint,"
                + " count(*) FILTER (WHERE c.relkind <> 'p') FROM " + PageCount.TABLES + " AS t"
                + " JOIN pg_class c ON c.oid = t.relid LEFT JOIN pg_stat_user_tables s ON s.relid = t.relid",
                rs -> new long[] {rs.getLong(1), rs.getLong(2)});
    }

    static String walPosition(Connection connection) throws SQLException {
        return Jdbc.one(connection, "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1));
    }

    static long walSince(Connection connection, String lsn) throws SQLException {
        return Jdbc.oneLong(connection, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ?::pg_lsn)::bigint", lsn);
    }
}
