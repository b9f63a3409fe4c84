package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.tokensweeper.testing.AppNodes;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.PromQlMetricNames;
import io.tokensweeper.testing.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an operator reaches for at 3am, on a running pair behind admin authentication. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorsViewTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String PASSWORD = "op-secret";
    private static final String AUTH = "Basic " + Base64.getEncoder()
            .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8));

    @RegisterExtension
    @org.junit.jupiter.api.Order(1)
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @RegisterExtension
    @org.junit.jupiter.api.Order(2)
    static final DropwizardAppExtension<TokenSweeperConfiguration> NODE_A = node("ops-a");

    @RegisterExtension
    @org.junit.jupiter.api.Order(3)
    static final DropwizardAppExtension<TokenSweeperConfiguration> NODE_B = node("ops-b");

    private static DropwizardAppExtension<TokenSweeperConfiguration> node(String id) {
        return AppNodes.node(POSTGRES, id,
                ConfigOverride.config("admin.password", PASSWORD),
                ConfigOverride.config("cleanup.refreshTokens.cron", "* * * * * ?"));
    }

    private static HttpResponse<String> admin(DropwizardAppExtension<?> node, String method, String path, boolean auth)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.getAdminPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (auth) {
            request.header("Authorization", AUTH);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long cronRuns() {
        return POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE trigger = 'cron'");
    }

    /**
     * Waits until a pause of the refresh-tokens schedule has taken hold: the trigger is paused, no node holds a
     * fire of it (acquired, or its job running), and no run of the job is under way. From then on, nothing
     * starts a scheduled run until it is resumed.
     */
    private static void awaitPauseInEffect() {
        await("the pause has taken hold on both nodes").atMost(Duration.ofSeconds(30)).until(() ->
                POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.qrtz_triggers WHERE trigger_name ="
                        + " 'refresh-tokens-cron' AND trigger_state = 'PAUSED'") == 1
                && POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.qrtz_fired_triggers"
                        + " WHERE trigger_name = 'refresh-tokens-cron'") == 0
                && POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.cleanup_runs"
                        + " WHERE job = 'refresh-tokens' AND status = 'running'") == 0);
    }

    @Test
    @Order(1)
    void theDashboardShowsNodesJobsRunsAndAChartWithEverythingEscaped() throws Exception {
        POSTGRES.database().execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                + " SELECT gen_random_uuid(), 'd' || i, now() - interval '1 day', false FROM generate_series(1, 300) i");
        // Scheduled runs may have happened before the insert: wait for the rows to be purged, not for a count.
        await("three scheduled runs and the rows purged").atMost(Duration.ofSeconds(60)).until(() -> cronRuns() >= 3
                && POSTGRES.database().queryLong("SELECT count(*) FROM public.refresh_tokens WHERE token_hash LIKE 'd%'") == 0);
        POSTGRES.database().execute("INSERT INTO sweeper.cleanup_runs (job, trigger, node_id, status, finished_at, error)"
                + " VALUES ('password-resets', 'manual', 'ops-<b>evil</b>', 'failed', now(),"
                + " 'ERROR: <script>alert(1)</script> & more')");

        HttpResponse<String> page = admin(NODE_A, "GET", "/dashboard", true);

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(page.body()).contains("ops-a").contains("ops-b").contains("alive")
                .contains("refresh-tokens").contains("password-resets").contains("<code>* * * * * ?</code>")
                .contains("<svg").contains("<rect").contains("Recent runs").contains(">cron<")
                .contains("Table space after the last run").contains("not opted in").contains("dead tuples after")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more").contains("ops-&lt;b&gt;evil&lt;/b&gt;")
                .contains("Purge settings of this node").contains("<code>cleanup.pacing.maxPause</code></td><td>5s<")
                .contains("pacing on: pauses up to 5s when it sees lock waiters")
                .doesNotContain("<script>").doesNotContain("<b>evil</b>").doesNotContain("http://").doesNotContain("https://");
        assertThat(admin(NODE_A, "GET", "/dashboard", false).statusCode()).isEqualTo(401);
        assertThat(admin(NODE_B, "GET", "/", true).body()).contains("href=\"dashboard\"");
    }

    @Test
    @Order(2)
    void prometheusServesTheJobMetricsInTextFormat() throws Exception {
        HttpResponse<String> response = admin(NODE_A, "GET", "/prometheus", true);

        assertThat(response.statusCode()).isEqualTo(200);
        Pattern sample = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? (-?[0-9.eE+\\-]+|NaN|[+-]Inf)");
        for (String line : response.body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                assertThat(sample.matcher(line).matches()).as("sample line: " + line).isTrue();
            }
        }
        PrometheusText a = new PrometheusText(response.body());
        PrometheusText b = new PrometheusText(admin(NODE_B, "GET", "/prometheus", true).body());
        String rowsDeleted = "token_sweeper_rows_deleted_total{cleanup_job=\"refresh-tokens\"}";
        assertThat(a.valueOf(rowsDeleted) + b.valueOf(rowsDeleted)).as("rows deleted, summed over the pair")
                .isGreaterThanOrEqualTo(300);
        assertThat(response.body())
                .contains("# TYPE token_sweeper_rows_deleted_total counter")
                .contains("# TYPE token_sweeper_run_duration_seconds summary")
                .containsPattern("(?m)^token_sweeper_run_duration_seconds_count\\{cleanup_job=\"refresh-tokens\"} [1-9]")
                .containsPattern("(?m)^token_sweeper_run_duration_seconds\\{cleanup_job=\"refresh-tokens\",quantile=\"0.99\"} ")
                .containsPattern("(?m)^token_sweeper_failures_total\\{cleanup_job=\"password-resets\"} 0")
                .containsPattern("(?m)^token_sweeper_pool_ActiveConnections ")
                .doesNotContain("token_sweeper_refresh_tokens_").doesNotContain("token_sweeper_password_resets_");
        assertThat(a.valueOf("token_sweeper_cluster_nodes{state=\"alive\"}")).isEqualTo(2);
        assertThat(a.valueOf("token_sweeper_cluster_nodes{state=\"presumed_dead\"}")).isZero();
        assertThat(a.valueOf("token_sweeper_node_up")).isEqualTo(1);
        assertThat(admin(NODE_A, "GET", "/prometheus", false).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(3)
    void aPauseOnOneNodeStopsScheduledRunsOnEveryNodeUntilResumed() throws Exception {
        HttpResponse<String> paused = admin(NODE_A, "POST", "/tasks/pause-cleanup?job=refresh-tokens", true);
        assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
        assertThat(paused.body()).startsWith("refresh-tokens: paused cluster-wide");
        awaitPauseInEffect();
        long before = cronRuns();
        // Time passes on purpose: three seconds of an every-second schedule, and no scheduled run may start.
        await("no scheduled run on either node while paused").during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10)).until(() -> cronRuns() == before);

        JsonNode jobs = new ObjectMapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + NODE_B.getLocalPort() + "/jobs")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(jobs.get(0).get("paused").asBoolean()).isTrue();
        assertThat(jobs.get(1).get("paused").asBoolean()).isFalse();
        assertThat(admin(NODE_B, "GET", "/dashboard", true).body()).contains("class=\"warn\">paused<");

        HttpResponse<String> refused = admin(NODE_B, "POST", "/tasks/run-cleanup?job=refresh-tokens", true);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("refresh-tokens: paused").contains("evenIfPaused=true");
        HttpResponse<String> forced = admin(NODE_B, "POST", "/tasks/run-cleanup?job=refresh-tokens&evenIfPaused=true", true);
        assertThat(forced.statusCode()).as(forced.body()).isEqualTo(200);
        assertThat(forced.body()).contains("refresh-tokens: succeeded").contains("trigger manual");

        HttpResponse<String> resumed = admin(NODE_B, "POST", "/tasks/resume-cleanup?job=refresh-tokens", true);
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        long atResume = cronRuns();
        await("scheduled runs are back").atMost(Duration.ofSeconds(30)).until(() -> cronRuns() > atResume);
        assertThat(admin(NODE_A, "POST", "/tasks/pause-cleanup?job=sessions", true).statusCode()).isEqualTo(400);
        assertThat(admin(NODE_A, "POST", "/tasks/pause-cleanup?job=all", false).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(4)
    void theLabelledJobFamiliesAgreeWithTheRunHistoryOfEachNode() throws Exception {
        assertThat(admin(NODE_A, "POST", "/tasks/pause-cleanup?job=refresh-tokens", true).statusCode()).isEqualTo(200);
        try {
            awaitPauseInEffect();
            String job = "{cleanup_job=\"refresh-tokens\"}";
            // The metrics are recorded just after the history row is completed: wait until each node has timed
            // as many runs as its history holds.
            await("each node's metrics have caught up with its run history").atMost(Duration.ofSeconds(10))
                    .until(() -> {
                        for (DropwizardAppExtension<TokenSweeperConfiguration> node : List.of(NODE_A, NODE_B)) {
                            double timed = new PrometheusText(admin(node, "GET", "/prometheus", true).body())
                                    .valueOf("token_sweeper_run_duration_seconds_count" + job);
                            if (timed < POSTGRES.database().queryLong("SELECT count(*) FROM sweeper.cleanup_runs"
                                    + " WHERE node_id = ? AND job = 'refresh-tokens'",
                                    node.getConfiguration().getNodeId())) {
                                return false;
                            }
                        }
                        return true;
                    });
            double newestSuccess = 0;
            for (DropwizardAppExtension<TokenSweeperConfiguration> node : List.of(NODE_A, NODE_B)) {
                String id = node.getConfiguration().getNodeId();
                PrometheusText metrics = new PrometheusText(admin(node, "GET", "/prometheus", true).body());
                String ofNode = "FROM sweeper.cleanup_runs WHERE node_id = ? AND job = 'refresh-tokens'";
                assertThat(metrics.valueOf("token_sweeper_rows_deleted_total" + job)).as(id).isEqualTo(
                        POSTGRES.database().queryLong("SELECT coalesce(sum(rows_deleted), 0) " + ofNode
                                + " AND NOT dry_run", id));
                assertThat(metrics.valueOf("token_sweeper_failures_total" + job)).as(id).isEqualTo(
                        POSTGRES.database().queryLong("SELECT count(*) " + ofNode + " AND status = 'failed'", id));
                double runs = metrics.valueOf("token_sweeper_run_duration_seconds_count" + job);
                assertThat(runs).as(id + ": every run with a history row was timed")
                        .isGreaterThanOrEqualTo(POSTGRES.database().queryLong("SELECT count(*) " + ofNode, id));
                double seconds = metrics.valueOf("token_sweeper_run_duration_seconds_sum" + job);
                assertThat(seconds).as(id).isGreaterThanOrEqualTo(0).isLessThan(runs * 5);
                assertThat(metrics.valueOf("token_sweeper_rows_skipped" + job)).as(id).isZero();
                double lastSuccess = metrics.valueOf("token_sweeper_last_success_timestamp_seconds" + job);
                long ownSuccessMillis = POSTGRES.database().queryLong("SELECT coalesce((extract(epoch FROM"
                        + " max(finished_at)) * 1000)::bigint, 0) " + ofNode + " AND status IN ('succeeded', 'partial')"
                        + " AND NOT dry_run", id);
                if (ownSuccessMillis > 0) {
                    assertThat(lastSuccess).as(id + ": seconds, not milliseconds")
                            .isCloseTo(ownSuccessMillis / 1000.0, within(2.0));
                }
                newestSuccess = Math.max(newestSuccess, lastSuccess);
                assertThat(metrics.valueOf("token_sweeper_cluster_nodes{state=\"alive\"}")).as(id).isEqualTo(2);
                assertThat(metrics.valueOf("token_sweeper_node_up")).as(id).isEqualTo(1);
            }
            assertThat(newestSuccess).as("the pair's newest success is the history's").isCloseTo(
                    POSTGRES.database().queryLong("SELECT (extract(epoch FROM max(finished_at)) * 1000)::bigint"
                            + " FROM sweeper.cleanup_runs WHERE job = 'refresh-tokens' AND status IN ('succeeded',"
                            + " 'partial') AND NOT dry_run") / 1000.0, within(2.0));
        } finally {
            admin(NODE_A, "POST", "/tasks/resume-cleanup?job=refresh-tokens", true);
        }
    }

    @Test
    @Order(5)
    void everyMetricTheAlertRulesAndTheDashboardUseIsExported() throws Exception {
        JsonNode rules = new YAMLMapper().readTree(Path.of("ops/prometheus/token-sweeper-rules.yml").toFile());
        Set<String> recorded = new TreeSet<>();
        Map<String, String> used = new TreeMap<>(); // metric name -> where
        for (JsonNode rule : rules.get("groups").get(0).get("rules")) {
            String name = rule.has("record") ? rule.get("record").asText() : rule.get("alert").asText();
            if (rule.has("record")) {
                recorded.add(name);
            } else {
                assertThat(rule.at("/labels/severity").asText()).as(name).isIn("warning", "critical");
                assertThat(rule.at("/annotations/summary").asText()).as(name).isNotBlank();
            }
            PromQlMetricNames.in(rule.get("expr").asText()).forEach(metric -> used.putIfAbsent(metric, "rule " + name));
        }
        JsonNode ruleTests = new YAMLMapper().readTree(Path.of("ops/prometheus/token-sweeper-rules.test.yml").toFile());
        for (JsonNode series : ruleTests.findValues("series")) {
            used.putIfAbsent(series.asText().split("\\{")[0], "rule test series " + series.asText());
        }
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("ops/grafana/token-sweeper.json").toFile());
        for (JsonNode panel : dashboard.findValues("panels").stream().flatMap(panels -> StreamSupport.stream(
                panels.spliterator(), false)).toList()) {
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            for (JsonNode target : panel.get("targets")) {
                PromQlMetricNames.in(target.get("expr").asText())
                        .forEach(metric -> used.putIfAbsent(metric, "panel " + panel.get("title").asText()));
            }
        }
        Matcher variable = Pattern.compile("label_values\\((\\w+)").matcher(dashboard.at("/templating/list").toString());
        while (variable.find()) {
            used.putIfAbsent(variable.group(1), "dashboard variable");
        }

        Set<String> exported = new PrometheusText(admin(NODE_A, "GET", "/prometheus", true).body()).sampleNames();
        assertThat(used).as("non-vacuous").containsKeys("token_sweeper_rows_deleted_total",
                "token_sweeper_run_duration_seconds", "token_sweeper_run_duration_seconds_sum",
                "token_sweeper_failures_total", "token_sweeper_last_success_timestamp_seconds",
                "token_sweeper_rows_skipped", "token_sweeper_cluster_nodes", "token_sweeper_node_up",
                "token_sweeper_pool_ActiveConnections");
        used.forEach((metric, where) -> assertThat(exported.contains(metric) || recorded.contains(metric))
                .as(metric + " (" + where + ") is exported by a node or recorded by the rules").isTrue());
    }
}
