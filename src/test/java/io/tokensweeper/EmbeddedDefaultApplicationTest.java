package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The node as a new user first meets it: config.yml, no DATABASE_URL, the embedded default. */
@ExtendWith(DropwizardExtensionsSupport.class)
class EmbeddedDefaultApplicationTest {
    private static final Path DATA = createDataDirectory();

    static final DropwizardAppExtension<TokenSweeperConfiguration> APP = new DropwizardAppExtension<>(
            TokenSweeperApplication.class, "config.yml",
            ConfigOverride.config("database.url", "embedded"),
            ConfigOverride.config("database.embedded.dataDirectory", DATA.toString()),
            ConfigOverride.config("database.embedded.seedRefreshTokens", "1000"),
            ConfigOverride.config("database.embedded.seedPasswordResets", "300"),
            ConfigOverride.config("environment", "test"),
            ConfigOverride.config("server.applicationConnectors[0].port", "0"),
            ConfigOverride.config("server.adminConnectors[0].port", "0"));

    @Test
    void answersHealthyWithTheDatabaseCheck() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + APP.getAdminPort() + "/healthcheck")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode checks = new ObjectMapper().readTree(response.body());
        assertThat(checks.get("database").get("healthy").asBoolean()).isTrue();
    }

    @Test
    void keepsTheEmbeddedDataUnderTheConfiguredDirectory() {
        assertThat(DATA.resolve("PG_VERSION")).exists();
    }

    @Test
    void createsTheServiceTablesInTheirOwnSchema() throws Exception {
        List<String> tables = strings("SELECT table_name FROM information_schema.tables"
                + " WHERE table_schema = 'sweeper' ORDER BY 1");

        assertThat(tables).contains("cleanup_runs", "partition_drops", "flyway_schema_history", "qrtz_job_details",
                "qrtz_triggers", "qrtz_cron_triggers", "qrtz_fired_triggers", "qrtz_scheduler_state", "qrtz_locks");
        assertThat(strings("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                + " AND table_name LIKE 'qrtz%'")).isEmpty();
    }

    @Test
    void seedsTheDemoTablesWithAMixOfLiveAndDoomedRows() throws Exception {
        assertThat(strings("SELECT count(*) FROM public.refresh_tokens")).containsExactly("1000");
        assertThat(strings("SELECT count(*) FROM public.password_resets")).containsExactly("300");
        assertThat(Long.parseLong(strings("SELECT count(*) FROM public.refresh_tokens WHERE revoked").get(0)))
                .isBetween(100L, 400L);
        assertThat(Long.parseLong(strings("SELECT count(*) FROM public.refresh_tokens"
                + " WHERE NOT revoked AND expires_at > now()").get(0))).isBetween(400L, 700L);
    }

    private static List<String> strings(String sql) throws Exception {
        DataSource dataSource = APP.<TokenSweeperApplication>getApplication().database().dataSource();
        List<String> values = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    private static Path createDataDirectory() {
        try {
            return Files.createTempDirectory("sweeper-embedded-").resolve("data");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
