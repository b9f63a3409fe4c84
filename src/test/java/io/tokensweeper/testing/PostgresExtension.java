package io.tokensweeper.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.TimeZone;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL for tests: one embedded server per test JVM (or the server named by
 * SWEEPER_TEST_DATABASE_URL, a jdbc:postgresql:// URL of a database we may CREATE DATABASE from),
 * and a fresh database per test class, dropped afterwards. Register it as a static field with
 * {@code @RegisterExtension}.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static Server server;

    private final List<String> setupResources = new ArrayList<>();
    private TestDatabase database;

    /** SQL scripts from the classpath (for example db/demo/auth-schema.sql) run in each new database. */
    public PostgresExtension withSetup(String resource) {
        setupResources.add(resource);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException {
        if ("UTC".equals(TimeZone.getDefault().getID())) {
            throw new IllegalStateException("Tests must run with a non-UTC JVM and session time zone"
                    + " (surefire sets -Duser.timezone); time-zone bugs hide in UTC");
        }
        Server s = server();
        String name = "sweeper_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection admin = s.adminConnection(); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        database = new TestDatabase(s.urlFor(name), s.user, s.password);
        for (String resource : setupResources) {
            database.execute(resource(resource));
        }
    }

    private static String resource(String name) {
        try (InputStream in = PostgresExtension.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("No " + name + " on the test classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        if (database == null) {
            return;
        }
        database.close();
        try (Connection admin = server().adminConnection(); Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database.name() + " WITH (FORCE)");
        }
        database = null;
    }

    public TestDatabase database() {
        if (database == null) {
            throw new IllegalStateException("PostgresExtension must be a static @RegisterExtension field");
        }
        return database;
    }

    /** Creates one more database on the same server, for tests that need two (dropped with the JVM). */
    public TestDatabase newDatabase() throws SQLException {
        Server s = server();
        String name = "sweeper_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection admin = s.adminConnection(); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return new TestDatabase(s.urlFor(name), s.user, s.password);
    }

    /** A second, independent handle (its own pool) on the same database, as another node would have. */
    public TestDatabase reconnect(TestDatabase database) {
        return new TestDatabase(database.url(), database.user(), database.password());
    }

    private static synchronized Server server() {
        if (server == null) {
            String external = System.getenv("SWEEPER_TEST_DATABASE_URL");
            server = external == null || external.isBlank() ? Server.embedded() : Server.external(external);
        }
        return server;
    }

    /** The PostgreSQL server the tests' databases are created on. */
    private static final class Server {
        final String adminUrl;
        final String user;
        final String password;

        private Server(String adminUrl, String user, String password) {
            this.adminUrl = adminUrl;
            this.user = user;
            this.password = password;
        }

        static Server embedded() {
            try {
                // postgres (the tests' admin) may connect without a password; every other role needs its own,
                // as on a real server, so that a wrong password is really refused.
                EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                        .setDataDirectoryCustomizer(Server::requirePasswordsButForPostgres)
                        .setServerConfig("max_connections", "300")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        postgres.close();
                    } catch (IOException e) {
                        // the JVM is going away; the temporary data directory goes with it
                    }
                }));
                return new Server(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "");
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start the embedded PostgreSQL for the tests", e);
            }
        }

        private static void requirePasswordsButForPostgres(java.io.File dataDirectory) {
            try {
                java.nio.file.Files.writeString(dataDirectory.toPath().resolve("pg_hba.conf"), String.join("\n",
                        "local all postgres trust",
                        "host all postgres 127.0.0.1/32 trust",
                        "host all postgres ::1/128 trust",
                        "local all all scram-sha-256",
                        "host all all 127.0.0.1/32 scram-sha-256",
                        "host all all ::1/128 scram-sha-256", ""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static Server external(String url) {
            String user = System.getenv().getOrDefault("SWEEPER_TEST_DATABASE_USER", "postgres");
            String password = System.getenv().getOrDefault("SWEEPER_TEST_DATABASE_PASSWORD", "");
            return new Server(url, user, password);
        }

        Connection adminConnection() throws SQLException {
            return DriverManager.getConnection(adminUrl, user, password);
        }

        /** The URL of one test database: host and port only, so the configured user is the one that connects. */
        String urlFor(String database) {
            int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
            return adminUrl.substring(0, slash + 1) + database;
        }
    }
}
