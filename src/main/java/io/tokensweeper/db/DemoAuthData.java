package io.tokensweeper.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates and seeds the demo auth tables of the embedded default; never used on a DATABASE_URL. */
public final class DemoAuthData {
    private static final Logger LOG = LoggerFactory.getLogger(DemoAuthData.class);

    private final DataSource dataSource;
    private final EmbeddedDatabaseFactory settings;

    public DemoAuthData(DataSource dataSource, EmbeddedDatabaseFactory settings) {
        this.dataSource = dataSource;
        this.settings = settings;
    }

    public void createAndSeed() {
        String seed = SqlScripts.load("db/demo/seed.sql")
                .replace(":refresh_tokens", Integer.toString(settings.getSeedRefreshTokens()))
                .replace(":password_resets", Integer.toString(settings.getSeedPasswordResets()));
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(SqlScripts.load("db/demo/auth-schema.sql"));
            statement.execute(seed);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create the demo auth tables: " + e.getMessage(), e);
        }
        LOG.info("Demo auth tables public.refresh_tokens and public.password_resets are ready");
    }

    /** Reads SQL shipped in the jar. */
    static final class SqlScripts {
        private SqlScripts() {
        }

        static String load(String resource) {
            try (InputStream in = DemoAuthData.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("Missing " + resource + " in the jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
