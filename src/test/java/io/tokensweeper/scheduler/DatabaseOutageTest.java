package io.tokensweeper.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.codahale.metrics.health.HealthCheck;
import io.tokensweeper.db.Migrations;
import io.tokensweeper.health.DatabaseHealthCheck;
import io.tokensweeper.health.SchedulerHealthCheck;
import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.testing.RestartablePostgres;
import io.tokensweeper.testing.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The database goes away while a node idles and again mid-purge; the node rides it out by itself. */
class DatabaseOutageTest {
    /**
     * While the database is down, Hikari marks each pooled connection broken and Quartz's cluster and misfire
     * threads fail, each with a stack trace: expected here, and hundreds of lines. The test asserts what counts.
     */
    private static final Map<String, Level> EXPECTED_OUTAGE_LOGS = Map.of(
            "com.zaxxer.hikari", Level.ERROR,
            "org.quartz.impl.jdbcjobstore", Level.OFF);
    private static final Map<Logger, Level> LEVELS_BEFORE = new LinkedHashMap<>();

    private static RestartablePostgres server;
    private static TestDatabase admin;

    @BeforeAll
    static void start() throws Exception {
        EXPECTED_OUTAGE_LOGS.forEach((name, level) -> {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            LEVELS_BEFORE.put(logger, logger.getLevel());
            logger.setLevel(level);
        });
        server = new RestartablePostgres().start();
        admin = server.database();
        try (InputStream schema = DatabaseOutageTest.class.getClassLoader().getResourceAsStream("db/demo/auth-schema.sql")) {
            admin.execute(new String(schema.readAllBytes(), StandardCharsets.UTF_8));
        }
        new Migrations(admin.dataSource(), "sweeper").migrate();
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            admin.close();
            server.close();
        } finally {
            LEVELS_BEFORE.forEach(Logger::setLevel);
        }
    }

    @Test
    void healthGoesRedAndGreenAndTheInterruptedRunIsClosedAndRedone() throws Exception {
        CleanupFactory cleanup = new CleanupFactory();
        BatchSettings batch = new BatchSettings(200, Duration.ofMillis(20), Duration.ofSeconds(2), Duration.ofSeconds(10),
                Duration.ofMinutes(5));
        try (TestNode node = new TestNode("outage", server.database(), cleanup, batch, TestNode.fastCluster(), true)
                .start()) {
            DatabaseHealthCheck database = new DatabaseHealthCheck(node.connection.dataSource());
            SchedulerHealthCheck scheduler = new SchedulerHealthCheck(node.cluster,
                    new ClusterState(node.connection.dataSource(), "sweeper", "token-sweeper"), Clock.systemUTC());
            awaitHealthy(database::execute, scheduler::execute);

            // 1. While idle.
            server.stop();
            await("both checks red").atMost(Duration.ofSeconds(30))
                    .until(() -> !database.execute().isHealthy() && !scheduler.execute().isHealthy());
            HealthCheck.Result down = database.execute();
            assertThat(down.isHealthy()).isFalse();
            assertThat(down.getMessage()).startsWith("the database does not answer:");
            assertThat(down.getError()).as("no exception, so no stack trace in /healthcheck").isNull();
            HealthCheck.Result schedulerDown = scheduler.execute();
            assertThat(schedulerDown.isHealthy()).isFalse();
            assertThat(schedulerDown.getError()).isNull();
            server.start();
            Duration idleRecovery = awaitHealthy(database::execute, scheduler::execute);
            System.out.printf("after an idle outage both checks were green again %d ms after the restart%n",
                    idleRecovery.toMillis());

            // 2. Mid-purge.
            admin.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at)"
                    + " SELECT gen_random_uuid(), 'o' || i, now() - interval '1 day' FROM generate_series(1, 40000) i");
            admin.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at)"
                    + " SELECT gen_random_uuid(), 'live' || i, now() + interval '1 day' FROM generate_series(1, 1000) i");
            node.onDemand.run(List.of(JobName.REFRESH_TOKENS), false, Duration.ZERO);
            await("the run has deleted 2,000 rows").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> admin.queryLong("SELECT count(*) FROM public.refresh_tokens") <= 39_000);
            server.stop();
            // The outage lasts on purpose: the node sees the database gone for 3 s, longer than a batch pause
            // and the lock timeout, so the run cannot carry on through it.
            await("the node sees the database gone for 3 s").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30))
                    .until(() -> !database.execute().isHealthy());
            server.start();
            awaitHealthy(database::execute, scheduler::execute);
            // Quartz retries its bookkeeping after the outage: the run cut short is over once it holds no fired trigger.
            await("Quartz has recorded the end of the run cut short").atMost(Duration.ofSeconds(60))
                    .until(() -> admin.queryLong("SELECT count(*) FROM sweeper.qrtz_fired_triggers") == 0);

            List<OnDemandRuns.Outcome> redo = node.onDemand.run(List.of(JobName.REFRESH_TOKENS), false,
                    Duration.ofSeconds(60));

            String history = admin.queryString("SELECT string_agg(id || '/' || status || '/' || coalesce(error, ''),"
                    + " E'\\n' ORDER BY id) FROM sweeper.cleanup_runs");
            assertThat(redo).singleElement().satisfies(o -> assertThat(o.run().status().id()).as(history)
                    .isEqualTo("succeeded"));
            assertThat(admin.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE status = 'running'"))
                    .as(history).isZero();
            assertThat(admin.queryString("SELECT status FROM sweeper.cleanup_runs ORDER BY id LIMIT 1"))
                    .as("the run cut short by the outage is closed, not left running").isIn("failed", "interrupted");
            assertThat(admin.queryLong("SELECT count(*) FROM public.refresh_tokens WHERE expires_at < now()")).isZero();
            assertThat(admin.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(1000);
            assertThat(admin.queryLong("SELECT count(*) FROM sweeper.qrtz_triggers"
                    + " WHERE trigger_state IN ('ACQUIRED', 'BLOCKED', 'ERROR')")).as("stuck triggers").isZero();
            assertThat(admin.queryLong("SELECT count(*) FROM sweeper.qrtz_fired_triggers")).isZero();
            assertThat(database.execute().isHealthy()).isTrue();
        }
    }

    @SafeVarargs
    private static Duration awaitHealthy(Supplier<HealthCheck.Result>... checks) {
        List<Supplier<HealthCheck.Result>> all = new ArrayList<>();
        for (Supplier<HealthCheck.Result> check : checks) {
            all.add(check);
        }
        Instant start = Instant.now();
        await("healthy again").atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(200))
                .until(() -> all.stream().allMatch(check -> check.get().isHealthy()));
        return Duration.between(start, Instant.now());
    }
}
