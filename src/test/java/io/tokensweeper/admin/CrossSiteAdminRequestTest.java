package io.tokensweeper.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.testing.AppNodes;
import io.tokensweeper.testing.PostgresExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A web page in an operator's browser must not be able to change anything on the admin port, even with the
 * browser's cached basic-auth credentials; curl-style requests keep working. Over real HTTP on a real node.
 */
class CrossSiteAdminRequestTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String AUTH = "Basic " + Base64.getEncoder()
            .encodeToString("admin:cached-in-browser".getBytes(StandardCharsets.UTF_8));

    @RegisterExtension
    @Order(1)
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @RegisterExtension
    @Order(2)
    static final DropwizardAppExtension<TokenSweeperConfiguration> NODE = AppNodes.node(POSTGRES, "xsite",
            ConfigOverride.config("admin.password", "cached-in-browser"));

    @Test
    void aCrossOriginFormPostIsRefusedAndPausesNothing() throws Exception {
        // What <form method=post action="http://127.0.0.1:8081/tasks/pause-cleanup"> on evil.example sends.
        HttpResponse<String> response = send(post("/tasks/pause-cleanup")
                .header("Origin", "https://evil.example")
                .header("Sec-Fetch-Site", "cross-site")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("job=all")));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).startsWith("refused: a cross-site request from a browser").doesNotContain("\n\n");
        assertThat(pausedJobs()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/tasks/run-cleanup?job=all", "/tasks/pause-cleanup?job=all",
            "/tasks/resume-cleanup?job=all", "/tasks/gc", "/tasks/log-level?logger=ROOT&level=OFF"})
    void everyAdminPostIsRefusedFromAnotherOrigin(String path) throws Exception {
        HttpResponse<String> fromAnotherOrigin = send(post(path).header("Origin", "http://localhost:3000")
                .POST(HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> sameSite = send(post(path).header("Sec-Fetch-Site", "same-site")
                .POST(HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> textPlainBody = send(post(path).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("job=all")));

        assertThat(fromAnotherOrigin.statusCode()).as(fromAnotherOrigin.body()).isEqualTo(403);
        assertThat(fromAnotherOrigin.body()).contains("Origin: http://localhost:3000");
        assertThat(sameSite.statusCode()).as(sameSite.body()).isEqualTo(403);
        assertThat(textPlainBody.statusCode()).as(textPlainBody.body()).isEqualTo(403);
        assertThat(pausedJobs()).isZero();
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.cleanup_runs")).isZero();
    }

    @Test
    void curlStylePostsAndSameOriginPostsStillWork() throws Exception {
        HttpResponse<String> paused = send(post("/tasks/pause-cleanup?job=all").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
        assertThat(pausedJobs()).isEqualTo(2);

        HttpResponse<String> resumed = send(post("/tasks/resume-cleanup?job=all")
                .header("Origin", "http://127.0.0.1:" + NODE.getAdminPort())
                .header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        assertThat(pausedJobs()).isZero();

        HttpResponse<String> gc = send(post("/tasks/gc").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(gc.statusCode()).as(gc.body()).isEqualTo(200);
    }

    @Test
    void readsFromOtherOriginsAreNotRefusedHere() throws Exception {
        HttpResponse<String> health = send(HttpRequest.newBuilder(adminUri("/healthcheck")).header("Authorization", AUTH)
                .header("Origin", "https://evil.example").GET());

        assertThat(health.statusCode()).isNotEqualTo(403);
    }

    private static HttpRequest.Builder post(String path) {
        return HttpRequest.newBuilder(adminUri(path)).header("Authorization", AUTH);
    }

    private static URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + NODE.getAdminPort() + path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long pausedJobs() throws Exception {
        JsonNode jobs = new ObjectMapper().readTree(send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + NODE.getLocalPort() + "/jobs")).GET()).body());
        long paused = 0;
        for (JsonNode job : jobs) {
            paused += job.get("paused").asBoolean() ? 1 : 0;
        }
        return paused;
    }
}
