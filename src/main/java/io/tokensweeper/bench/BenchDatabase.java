package io.tokensweeper.bench;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The benchmark's data: one template database seeded once (refresh tokens with four indexes, half of
 * them doomed), cloned with CREATE DATABASE ... TEMPLATE for each scenario so every run starts from
 * identical data.
 */
final class BenchDatabase {
    static final String TEMPLATE = "bench_template";

    private final String serverUrl;
    private final Properties credentials;

    BenchDatabase(String serverUrl, Properties credentials) {
        this.serverUrl = serverUrl;
        this.credentials = credentials;
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

    void createTemplate(long rows) throws SQLException {
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + TEMPLATE);
            statement.execute("CREATE DATABASE " + TEMPLATE);
        }
        try (Connection connection = connect(TEMPLATE); Statement statement = connection.createStatement()) {
            statement.execute("""
                    CREATE TABLE public.refresh_tokens (
                      id          BIGINT       PRIMARY KEY,
                      user_id     UUID         NOT NULL,
                      token_hash  VARCHAR(128) NOT NULL,
                      expires_at  TIMESTAMPTZ  NOT NULL,
                      revoked     BOOLEAN      NOT NULL DEFAULT false,
                      created_at  TIMESTAMPTZ  NOT NULL DEFAULT now())""");
            statement.execute("CREATE SEQUENCE public.refresh_tokens_id_seq START " + (rows + 1)
                    + "; ALTER TABLE public.refresh_tokens ALTER COLUMN id SET DEFAULT nextval('public.refresh_tokens_id_seq')");
            // 30% expired, 20% revoked but unexpired, 50% live; shuffled through the heap as real tables are.
            statement.execute("INSERT INTO public.refresh_tokens (id, user_id, token_hash, expires_at, revoked, created_at)"
                    + " SELECT i, md5((i % 100000)::text)::uuid, 't' || i,"
                    + " CASE WHEN i % 10 < 3 THEN now() - (1 + i % 90) * interval '1 day'"
                    + "      ELSE now() + (1 + i % 30) * interval '1 day' END,"
                    + " i % 10 IN (3, 4), now() - (i % 90) * interval '1 day'"
                    + " FROM generate_series(1, " + rows + ") AS i");
            statement.execute("CREATE UNIQUE INDEX refresh_tokens_token_hash_idx ON public.refresh_tokens (token_hash)");
            statement.execute("CREATE INDEX refresh_tokens_user_id_idx ON public.refresh_tokens (user_id)");
            statement.execute("CREATE INDEX refresh_tokens_expires_at_idx ON public.refresh_tokens (expires_at)");
            statement.execute("VACUUM (ANALYZE) public.refresh_tokens");
        }
    }

    void cloneTemplate(String database) throws SQLException {
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database);
            statement.execute("CREATE DATABASE " + database + " TEMPLATE " + TEMPLATE);
        }
    }

    void drop(String database) throws SQLException {
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    static long count(Connection connection, String sql) throws SQLException {
        return Jdbc.oneLong(connection, sql);
    }

    static String walPosition(Connection connection) throws SQLException {
        return Jdbc.one(connection, "SELECT pg_current_wal_lsn()::text", rs -> rs.getString(1));
    }

    static long walSince(Connection connection, String lsn) throws SQLException {
        return Jdbc.oneLong(connection, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)::bigint", lsn);
    }
}
