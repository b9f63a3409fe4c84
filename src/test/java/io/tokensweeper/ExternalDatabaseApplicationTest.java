package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.tokensweeper.testing.PostgresExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With DATABASE_URL set: nothing embedded, the auth tables untouched, our objects only in our schema. */
class ExternalDatabaseApplicationTest {
    @RegisterExtension
    @Order(1)
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @RegisterExtension
    @Order(2)
    static final DropwizardAppExtension<TokenSweeperConfiguration> APP = new DropwizardAppExtension<>(
            TokenSweeperApplication.class, "config.yml",
            ConfigOverride.config("database.url", () -> POSTGRES.database().url()),
            ConfigOverride.config("database.user", () -> POSTGRES.database().user()),
            ConfigOverride.config("database.password", () -> POSTGRES.database().password()),
            ConfigOverride.config("database.embedded.dataDirectory", "/nonexistent/never-used"),
            ConfigOverride.config("environment", "test"),
            ConfigOverride.config("server.applicationConnectors[0].port", "0"),
            ConfigOverride.config("server.adminConnectors[0].port", "0"));

    @Test
    void startsHealthyOnTheGivenDatabase() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + APP.getAdminPort() + "/healthcheck")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"database\"");
    }

    @Test
    void neitherSeedsNorCreatesAuthTables() {
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM public.refresh_tokens")).isZero();
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM public.password_resets")).isZero();
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM information_schema.tables"
                + " WHERE table_schema = 'public'")).isEqualTo(2);
    }

    @Test
    void putsItsOwnObjectsInTheSweeperSchema() {
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM information_schema.tables"
                + " WHERE table_schema = 'sweeper' AND table_name LIKE 'qrtz%'")).isEqualTo(11);
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.flyway_schema_history"
                + " WHERE success AND type = 'SQL'")).isEqualTo(8);
    }
}
