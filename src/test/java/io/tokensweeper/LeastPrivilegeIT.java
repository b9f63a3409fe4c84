package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.testing.NodeProcess;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process running as the role db/least-privilege.sql creates, with the admin port locked by
 * ADMIN_PASSWORD: the role is enough for everything the service does, the admin door stays shut
 * without credentials, and neither secret ever appears in the log or in /metrics.
 */
class LeastPrivilegeIT {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql")
            .withSetup("db/least-privilege.sql");

    @TempDir
    Path logs;

    @Test
    void runsLeastPrivilegedBehindBasicAuthAndNeverLeaksASecret() throws Exception {
        TestDatabase db = POSTGRES.database();
        String dbSecret = "db-" + UUID.randomUUID();
        String adminSecret = "admin-" + UUID.randomUUID();
        db.execute("ALTER ROLE token_sweeper PASSWORD '" + dbSecret + "'");
        db.execute("CREATE TABLE public.users (id int, email text)");
        db.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                + " SELECT gen_random_uuid(), 'rt' || i, now() + interval '1 day', i <= 25 FROM generate_series(1, 100) i");

        try (NodeProcess node = NodeProcess.start("least", db, Map.of("DATABASE_USER", "token_sweeper",
                "DATABASE_PASSWORD", dbSecret, "ADMIN_PASSWORD", adminSecret), Map.of(), logs)) {
            node.awaitUp(Duration.ofSeconds(90));
            String good = "Basic " + base64("admin:" + adminSecret);

            HttpResponse<String> anonymous = node.send(HttpRequest.newBuilder(URI.create(
                    node.adminUrl("/tasks/run-cleanup?job=refresh-tokens"))).POST(HttpRequest.BodyPublishers.noBody()));
            HttpResponse<String> wrong = node.send(HttpRequest.newBuilder(URI.create(
                    node.adminUrl("/tasks/run-cleanup?job=refresh-tokens"))).header("Authorization",
                    "Basic " + base64("admin:" + adminSecret + "x")).POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(node.send(HttpRequest.newBuilder(URI.create(node.adminUrl("/metrics")))).statusCode()).isEqualTo(401);
            assertThat(node.send(HttpRequest.newBuilder(URI.create(node.adminUrl("/healthcheck")))).statusCode()).isEqualTo(401);
            assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs")).as("nothing ran").isZero();
            assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(100);

            HttpResponse<String> run = node.send(HttpRequest.newBuilder(URI.create(
                    node.adminUrl("/tasks/run-cleanup?job=all"))).header("Authorization", good)
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
            assertThat(run.body()).contains("refresh-tokens: succeeded, deleted 25 rows");
            HttpResponse<String> health = node.send(HttpRequest.newBuilder(URI.create(node.adminUrl("/healthcheck")))
                    .header("Authorization", good));
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            HttpResponse<String> metrics = node.send(HttpRequest.newBuilder(URI.create(node.adminUrl("/metrics")))
                    .header("Authorization", good));
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("token-sweeper.refresh-tokens.rows-deleted")
                    .doesNotContain(dbSecret).doesNotContain(adminSecret);
            assertThat(node.stop(Duration.ofSeconds(30))).as("SIGTERM after a clean shutdown").isEqualTo(143);
            assertThat(Files.readString(node.log)).contains("Purge finished").contains("left the cluster")
                    .doesNotContain(dbSecret).doesNotContain(adminSecret);
        }
        assertThat(db.queryString("SELECT tableowner FROM pg_tables WHERE schemaname = 'sweeper'"
                + " AND tablename = 'cleanup_runs'")).isEqualTo("token_sweeper");
        try (Connection asSweeper = DriverManager.getConnection(db.url(), "token_sweeper", dbSecret);
             Statement statement = asSweeper.createStatement()) {
            assertThatThrownBy(() -> statement.executeQuery("SELECT * FROM public.users"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> statement.executeUpdate("UPDATE public.refresh_tokens SET revoked = false"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> statement.execute("CREATE TABLE public.x (id int)"))
                    .hasMessageContaining("permission denied");
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
