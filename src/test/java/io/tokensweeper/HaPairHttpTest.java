package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.tokensweeper.testing.AppNodes;
import io.tokensweeper.testing.PostgresExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two full nodes on one database, driven over HTTP as an operator would. */
class HaPairHttpTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    @Order(1)
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @RegisterExtension
    @Order(2)
    static final DropwizardAppExtension<TokenSweeperConfiguration> NODE_A = node("http-a");

    @RegisterExtension
    @Order(3)
    static final DropwizardAppExtension<TokenSweeperConfiguration> NODE_B = node("http-b");

    private static DropwizardAppExtension<TokenSweeperConfiguration> node(String id) {
        return AppNodes.node(POSTGRES, id,
                ConfigOverride.config("cleanup.batch.size", "500"),
                ConfigOverride.config("cleanup.batch.pause", "20ms"),
                ConfigOverride.config("cleanup.passwordResets.vacuumAfterPurge", "true"),
                ConfigOverride.config("cleanup.passwordResets.vacuumMinDeletedFraction", "0.1"));
    }

    @BeforeEach
    void seed() {
        POSTGRES.database().execute("""
                TRUNCATE public.refresh_tokens, public.password_resets;
                INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)
                  SELECT gen_random_uuid(), 'rt' || i, now() + interval '1 day', i % 4 = 0 FROM generate_series(1, 400) i;
                INSERT INTO public.password_resets (user_id, token_hash, expires_at, used)
                  SELECT gen_random_uuid(), 'pr' || i, now() - interval '1 hour', false FROM generate_series(1, 30) i;
                """);
    }

    private static HttpResponse<String> post(DropwizardAppExtension<?> node, String query) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.getAdminPort()
                + "/tasks/run-cleanup" + query)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long runningRuns() {
        return POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE status = 'running'");
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void runsBothJobsThroughTheClusterAndAnswersALinePerJob() throws Exception {
        HttpResponse<String> response = post(NODE_A, "?job=all&wait=30");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body().lines()).hasSize(2);
        assertThat(response.body()).containsPattern("refresh-tokens: succeeded, deleted 100 rows in \\d+ batches \\((heap|index) walk\\),"
                + " \\d+ ms, trigger manual, node http-[ab], run \\d+")
                .containsPattern("password-resets: succeeded, deleted 30 rows");
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(300);
    }

    @Test
    void aDryRunDeletesNothing() throws Exception {
        HttpResponse<String> response = post(NODE_B, "?job=refresh-tokens&dryRun=true");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("refresh-tokens: succeeded, would delete 100 rows");
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(400);
    }

    @Test
    void aSecondRequestWhileARunIsInProgressSaysWhere() throws Exception {
        POSTGRES.database().execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at)"
                + " SELECT gen_random_uuid(), 'slow' || i, now() - interval '1 day' FROM generate_series(1, 40000) i");
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return post(NODE_A, "?job=refresh-tokens&wait=120");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await("the first run has started").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> runningRuns() > 0);

        HttpResponse<String> second = post(NODE_B, "?job=refresh-tokens&wait=0");

        assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
        assertThat(second.body()).containsPattern("refresh-tokens: already running on node http-[ab] \\(run \\d+,"
                + " started .*\\); not started again");
        HttpResponse<String> done = first.get();
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(done.body()).contains("deleted 40100 rows");
    }

    @Test
    void answersStillRunningWhenTheWaitIsOver() throws Exception {
        POSTGRES.database().execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at)"
                + " SELECT gen_random_uuid(), 'slow' || i, now() - interval '1 day' FROM generate_series(1, 20000) i");

        HttpResponse<String> response = post(NODE_B, "?job=refresh-tokens&wait=0");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        assertThat(response.body()).containsPattern("refresh-tokens: (still running on node http-[ab] \\(run \\d+\\)"
                + "|requested, not started within 0 s)");
        // The run goes on after the answer; the next test starts once it has ended.
        await("the run has ended").atMost(Duration.ofMinutes(2)).until(() -> runningRuns() == 0);
    }

    @Test
    void badParametersGetA400NamingWhatIsValid() throws Exception {
        assertThat(post(NODE_A, "?job=sessions")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("job must be one of refresh-tokens, password-resets, all; was 'sessions'");
        });
        assertThat(post(NODE_A, "?wait=soon")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("wait must be a whole number of seconds from 0 to 600; was 'soon'");
        });
        assertThat(post(NODE_A, "?dryRun=yes").body()).contains("dryRun must be true or false; was 'yes'");
        assertThat(post(NODE_A, "?job=refresh-tokens&dryrun=true")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("unknown parameter 'dryrun'");
        });
        assertThat(get("http://127.0.0.1:" + NODE_A.getAdminPort() + "/tasks/run-cleanup").statusCode()).isEqualTo(405);
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(400);
    }

    @Test
    void jobsShowsSchedulesNextFireTimesAndLastRuns() throws Exception {
        post(NODE_A, "?job=password-resets");

        HttpResponse<String> response = get("http://127.0.0.1:" + NODE_B.getLocalPort() + "/jobs");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode jobs = JSON.readTree(response.body());
        assertThat(jobs).hasSize(2);
        JsonNode refresh = jobs.get(0);
        assertThat(refresh.get("name").asText()).isEqualTo("refresh-tokens");
        assertThat(refresh.get("cron").asText()).isEqualTo("0 3 * * *");
        assertThat(refresh.get("quartzCron").asText()).isEqualTo("0 0 3 * * ?");
        assertThat(refresh.get("timeZone").asText()).isEqualTo("UTC");
        assertThat(refresh.get("nextFireTime").asText()).endsWith("T03:00:00Z");
        JsonNode resets = jobs.get(1);
        assertThat(resets.get("lastRun").get("status").asText()).isEqualTo("succeeded");
        assertThat(resets.get("lastRun").get("trigger").asText()).isEqualTo("manual");
    }

    @Test
    void runsListsNewestFirstAndRejectsBadParameters() throws Exception {
        post(NODE_A, "?job=password-resets");
        post(NODE_B, "?job=password-resets&dryRun=true");
        String base = "http://127.0.0.1:" + NODE_A.getLocalPort() + "/runs";

        JsonNode runs = JSON.readTree(get(base + "?job=password-resets&limit=2").body());

        assertThat(runs).hasSize(2);
        assertThat(runs.get(0).get("id").asLong()).isGreaterThan(runs.get(1).get("id").asLong());
        assertThat(runs.get(0).get("dryRun").asBoolean()).isTrue();
        assertThat(get(base + "?limit=100000")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("limit must be a whole number from 1 to 500; was '100000'");
        });
        assertThat(get(base + "?limit=ten").statusCode()).isEqualTo(400);
        assertThat(get(base + "?job=nope").body()).contains("job must be one of refresh-tokens, password-resets");
    }

    @Test
    void runsShowTheTablesSpaceAfterEachRunAndTheVacuumOfAnOptedInTarget() throws Exception {
        post(NODE_A, "?job=all&wait=30");
        String base = "http://127.0.0.1:" + NODE_B.getLocalPort() + "/runs?limit=1&job=";

        // Both are read and done after the run has ended (and the task has answered): wait for them.
        JsonNode resets = await("the VACUUM after the password-resets run is recorded").atMost(Duration.ofSeconds(30))
                .until(() -> JSON.readTree(get(base + "password-resets").body()).get(0),
                        run -> run.hasNonNull("vacuum"));
        JsonNode tokens = await("the refresh-tokens run's space is recorded").atMost(Duration.ofSeconds(30))
                .until(() -> JSON.readTree(get(base + "refresh-tokens").body()).get(0), run -> run.hasNonNull("space"));

        JsonNode space = resets.get("space");
        assertThat(space.fieldNames()).toIterable().containsExactly("tableBytes", "heapBytes", "liveTuples",
                "deadTuples", "autovacuumThreshold", "lastAutovacuum", "lastVacuum", "autovacuumWarning");
        assertThat(space.get("tableBytes").asLong()).isGreaterThanOrEqualTo(space.get("heapBytes").asLong())
                .isPositive();
        assertThat(space.get("autovacuumThreshold").asLong()).isGreaterThanOrEqualTo(50);
        JsonNode vacuum = resets.get("vacuum");
        assertThat(vacuum.fieldNames()).toIterable().containsExactly("ran", "durationMs", "deadTuplesAfter", "note");
        assertThat(vacuum.get("ran").asBoolean()).as(vacuum.toString()).isTrue();
        assertThat(vacuum.get("durationMs").asLong()).isNotNegative();
        assertThat(vacuum.get("deadTuplesAfter").asLong()).isZero();
        assertThat(POSTGRES.database().queryString("SELECT last_vacuum FROM pg_stat_user_tables"
                + " WHERE relid = 'public.password_resets'::regclass")).isNotNull();
        // Not opted in: its space, and no vacuum.
        assertThat(tokens.get("space").get("liveTuples").asLong()).isNotNegative();
        assertThat(tokens.get("vacuum").isNull()).isTrue();
    }

    @Test
    void healthcheckCarriesTheFourChecks() throws Exception {
        HttpResponse<String> response = get("http://127.0.0.1:" + NODE_A.getAdminPort() + "/healthcheck");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode checks = JSON.readTree(response.body());
        assertThat(checks.fieldNames()).toIterable()
                .contains("database", "scheduler", "refresh-tokens", "password-resets");
        assertThat(checks.get("scheduler").get("message").asText()).contains("node http-a").contains("http-b (alive)");
    }
}
