package io.tokensweeper.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.health.HealthCheck;
import io.tokensweeper.db.Migrations;
import io.tokensweeper.health.JobHealthCheck;
import io.tokensweeper.health.SchedulerHealthCheck;
import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeRequest;
import io.tokensweeper.purge.RunStatus;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Restarts, reschedules, graceful shutdown mid-purge, SWEEPER_ENV=test and health, on real nodes. */
// Nodes started in try-with-resources run for the block's scope without being referenced in it.
@SuppressWarnings("try")
class ScheduleLifecycleTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    private static final BatchSettings BATCH = new BatchSettings(500, Duration.ZERO, Duration.ofSeconds(2),
            Duration.ofSeconds(30), Duration.ofMinutes(5));

    @BeforeEach
    void reset() {
        TestDatabase db = POSTGRES.database();
        new Migrations(db.dataSource(), "sweeper").migrate();
        db.execute("""
                TRUNCATE sweeper.cleanup_runs, public.refresh_tokens, public.password_resets;
                DELETE FROM sweeper.qrtz_cron_triggers; DELETE FROM sweeper.qrtz_fired_triggers;
                DELETE FROM sweeper.qrtz_triggers; DELETE FROM sweeper.qrtz_job_details;
                DELETE FROM sweeper.qrtz_scheduler_state;
                """);
    }

    private static CleanupFactory cleanup(String refreshCron) {
        CleanupFactory cleanup = new CleanupFactory();
        cleanup.getRefreshTokens().setCron(refreshCron);
        return cleanup;
    }

    private TestNode node(String id, CleanupFactory cleanup, BatchSettings batch, boolean schedulerEnabled) {
        return new TestNode(id, POSTGRES.reconnect(POSTGRES.database()), cleanup, batch, TestNode.fastCluster(),
                schedulerEnabled);
    }

    /** When the every-second trigger fires next, in epoch milliseconds: it moves on by a second with each fire. */
    private static long nextFireMillis(TestDatabase db) {
        return db.queryLong("SELECT next_fire_time FROM sweeper.qrtz_triggers WHERE trigger_name = 'refresh-tokens-cron'");
    }

    private static String storedCron(TestDatabase db) {
        return db.queryString("SELECT cron_expression || ' @ ' || time_zone_id FROM sweeper.qrtz_cron_triggers"
                + " WHERE trigger_name = 'refresh-tokens-cron'");
    }

    @Test
    void restartKeepsAnUnchangedScheduleAndReplacesAChangedOne() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (TestNode first = node("a", cleanup("0 3 * * *"), BATCH, true).start()) {
            assertThat(storedCron(db)).isEqualTo("0 0 3 * * ? @ UTC");
        }
        long startTime = db.queryLong("SELECT start_time FROM sweeper.qrtz_triggers WHERE trigger_name = 'refresh-tokens-cron'");

        try (TestNode unchanged = node("a", cleanup("0 3 * * *"), BATCH, true).start()) {
            assertThat(db.queryLong("SELECT start_time FROM sweeper.qrtz_triggers WHERE trigger_name = 'refresh-tokens-cron'"))
                    .as("kept, not re-created").isEqualTo(startTime);
        }
        CleanupFactory changed = cleanup("15 4 * * 1-5");
        changed.setTimeZone(java.time.ZoneId.of("Europe/Berlin"));
        try (TestNode restarted = node("b", changed, BATCH, true).start()) {
            assertThat(storedCron(db)).isEqualTo("0 15 4 ? * 2-6 @ Europe/Berlin");
            assertThat(restarted.cluster.nextFireTime(JobName.REFRESH_TOKENS)).isPresent();
        }
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.qrtz_triggers")).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.qrtz_job_details")).isEqualTo(2);
    }

    @Test
    void aDisabledJobLosesItsTriggerButNotItsPeer() throws Exception {
        TestDatabase db = POSTGRES.database();
        try (TestNode first = node("a", cleanup("0 3 * * *"), BATCH, true).start()) {
            assertThat(db.queryLong("SELECT count(*) FROM sweeper.qrtz_triggers")).isEqualTo(2);
        }
        CleanupFactory disabled = cleanup("0 3 * * *");
        disabled.getPasswordResets().setEnabled(false);
        try (TestNode second = node("a", disabled, BATCH, true).start()) {
            assertThat(db.queryString("SELECT string_agg(trigger_name, ',') FROM sweeper.qrtz_triggers"))
                    .isEqualTo("refresh-tokens-cron");
        }
    }

    @Test
    void aJobFiredOnANodeWhereItIsDisabledIsSkippedThereWithoutAFailure() throws Exception {
        TestDatabase db = POSTGRES.database();
        CleanupFactory disabledHere = cleanup("* * * * * ?");
        disabledHere.getRefreshTokens().setEnabled(false);
        // b starts first and removes the schedule; a starts next and stores it again: both then acquire it.
        try (TestNode b = node("b", disabledHere, BATCH, true).start();
             TestNode a = node("a", cleanup("* * * * * ?"), BATCH, true).start()) {
            // Four fires, each acquired by either node.
            long firstFire = nextFireMillis(db);
            await("four fires of the every-second schedule").atMost(Duration.ofSeconds(30))
                    .until(() -> nextFireMillis(db) >= firstFire + 4_000);
        }

        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE job = 'refresh-tokens'")).isPositive();
        assertThat(db.queryString("SELECT string_agg(DISTINCT node_id || '/' || status, ',') FROM sweeper.cleanup_runs"
                + " WHERE job = 'refresh-tokens'")).isEqualTo("a/succeeded");
    }

    @Test
    void gracefulShutdownInterruptsAtABatchBoundaryAndAPeerFinishesTheRest() throws Exception {
        TestDatabase db = POSTGRES.database();
        db.execute("INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)"
                + " SELECT gen_random_uuid(), 'h' || i, now() - interval '1 day', false FROM generate_series(1, 30000) i");
        BatchSettings slow = BATCH.withPause(Duration.ofMillis(50));
        TestNode a = node("a", cleanup("0 3 * * *"), slow, true).start();
        try (TestNode b = node("b", cleanup("0 3 * * *"), slow, true).start()) {
            CompletableFuture<List<OnDemandRuns.Outcome>> manual = CompletableFuture.supplyAsync(() -> {
                try {
                    return a.onDemand.run(List.of(JobName.REFRESH_TOKENS), false, Duration.ZERO);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            manual.get(10, TimeUnit.SECONDS);
            await("the run has deleted 2,000 rows").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> db.queryLong("SELECT count(*) FROM public.refresh_tokens") <= 28_000);
            String runner = db.queryString("SELECT node_id FROM sweeper.cleanup_runs WHERE status = 'running'");
            TestNode running = "a".equals(runner) ? a : b;
            TestNode peer = running == a ? b : a;
            running.close();

            assertThat(db.queryString("SELECT status || ': ' || error FROM sweeper.cleanup_runs"))
                    .startsWith("interrupted: the node is shutting down");
            long left = db.queryLong("SELECT count(*) FROM public.refresh_tokens");
            assertThat(left).isPositive();
            assertThat(db.queryLong("SELECT rows_deleted FROM sweeper.cleanup_runs")).isEqualTo(30_000 - left);

            List<OnDemandRuns.Outcome> next = peer.onDemand.run(List.of(JobName.REFRESH_TOKENS), false,
                    Duration.ofSeconds(60));
            assertThat(next).singleElement().satisfies(o -> {
                assertThat(o.kind()).isEqualTo(OnDemandRuns.Kind.FINISHED);
                assertThat(o.run().nodeId()).isEqualTo(peer.id);
                assertThat(o.run().rowsDeleted()).isEqualTo(left);
            });
            assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isZero();
        } finally {
            a.close();
        }
    }

    @Test
    void inTheTestEnvironmentNothingFiresButOnDemandRunsWorkInProcess() throws Exception {
        TestDatabase db = POSTGRES.database();
        db.execute("INSERT INTO public.password_resets (user_id, token_hash, expires_at, used)"
                + " SELECT gen_random_uuid(), 'h' || i, now() + interval '1 hour', true FROM generate_series(1, 10) i");
        CleanupFactory everySecond = cleanup("* * * * * ?");
        everySecond.getPasswordResets().setCron("* * * * * ?");
        try (TestNode quiet = node("quiet", everySecond, BATCH, false).start()) {
            // Time passes on purpose: two and a half seconds of an every-second cron, and nothing may fire.
            await("no run and no scheduler while the every-second crons would have fired")
                    .during(Duration.ofMillis(2_500)).atMost(Duration.ofSeconds(10))
                    .until(() -> db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs") == 0
                            && db.queryLong("SELECT count(*) FROM sweeper.qrtz_scheduler_state") == 0);

            List<OnDemandRuns.Outcome> outcomes = quiet.onDemand.run(List.of(JobName.PASSWORD_RESETS), false,
                    Duration.ofSeconds(30));

            assertThat(outcomes).singleElement().satisfies(o -> {
                assertThat(o.kind()).isEqualTo(OnDemandRuns.Kind.FINISHED);
                assertThat(o.line()).startsWith("password-resets: succeeded, deleted 10 rows").contains("trigger manual");
            });
        }
    }

    @Test
    void healthChecksTurnRedAndGreenWithTheirCause() throws Exception {
        TestDatabase db = POSTGRES.database();
        CleanupFactory everySecond = cleanup("* * * * * ?");
        try (TestNode node = node("h", everySecond, BATCH, true).start()) {
            SchedulerHealthCheck scheduler = new SchedulerHealthCheck(node.cluster,
                    new ClusterState(node.connection.dataSource(), "sweeper", "token-sweeper"), Clock.systemUTC());
            JobHealthCheck job = new JobHealthCheck(JobName.REFRESH_TOKENS, node.purgeService, node.cluster,
                    Duration.ZERO, Clock.systemUTC());
            await("both checks healthy once the node runs").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HealthCheck.Result schedulerResult = scheduler.execute();
                HealthCheck.Result jobResult = job.execute();
                assertThat(schedulerResult.isHealthy()).as(schedulerResult.getMessage()).isTrue();
                assertThat(jobResult.isHealthy()).as(jobResult.getMessage()).isTrue();
            });

            node.cluster.scheduler().orElseThrow().standby();
            HealthCheck.Result standby = scheduler.execute();
            assertThat(standby.isHealthy()).isFalse();
            assertThat(standby.getMessage()).contains("standby");
            node.cluster.scheduler().orElseThrow().start();

            // Holding the table's fence makes every run fail: the job goes stale within a few seconds.
            try (Connection fence = db.dataSource().getConnection(); Statement statement = fence.createStatement()) {
                statement.execute("SELECT pg_advisory_lock(" + 0x5357 + ", 'public.refresh_tokens'::regclass::oid::bigint::int)");
                HealthCheck.Result stale = await("the job check turns red").atMost(Duration.ofSeconds(30))
                        .until(job::execute, result -> !result.isHealthy());
                assertThat(stale.getMessage()).contains("last succeeded at").contains("none completed");
                statement.execute("SELECT pg_advisory_unlock_all()");
            }
            await("the job check green again once a run succeeds").atMost(Duration.ofSeconds(30))
                    .until(() -> job.execute().isHealthy());
        }
    }

    @Test
    void aFreshInstallIsHealthyUntilItsFirstRunIsDue() throws Exception {
        try (TestNode node = node("fresh", cleanup("0 3 * * *"), BATCH, true).start()) {
            HealthCheck.Result result = new JobHealthCheck(JobName.REFRESH_TOKENS, node.purgeService, node.cluster,
                    Duration.ofMinutes(15), Clock.systemUTC()).execute();

            assertThat(result.isHealthy()).isTrue();
            assertThat(result.getMessage()).startsWith("no run due yet; first run due at").contains("T03:00:00Z");
        }
    }

    @Test
    void theJobCheckTurnsRedWhenThreeRunsInARowLeaveDoomedRows() throws Exception {
        TestDatabase db = POSTGRES.database();
        db.execute("""
                INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)
                  SELECT gen_random_uuid(), 'h' || i, now() - interval '1 day', false FROM generate_series(1, 50) i;
                DROP TABLE IF EXISTS public.held_sessions;
                CREATE TABLE public.held_sessions (token_id uuid REFERENCES public.refresh_tokens (id));
                INSERT INTO public.held_sessions SELECT id FROM public.refresh_tokens WHERE token_hash = 'h1';
                """);
        try (TestNode node = node("skipping", cleanup("0 3 * * *"), BATCH, true).start()) {
            JobHealthCheck check = new JobHealthCheck(JobName.REFRESH_TOKENS, node.purgeService, node.cluster,
                    Duration.ofMinutes(15), Clock.systemUTC());
            for (int run = 1; run <= 3; run++) {
                assertThat(check.execute().isHealthy()).as("before run %d", run).isTrue();
                assertThat(node.purgeService.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)).status())
                        .isEqualTo(RunStatus.PARTIAL);
            }

            HealthCheck.Result stuck = check.execute();
            assertThat(stuck.isHealthy()).isFalse();
            assertThat(stuck.getMessage()).contains("the last 3 runs each left doomed rows they could not delete")
                    .contains("held_sessions_token_id_fkey");

            db.execute("DROP TABLE public.held_sessions");
            assertThat(node.purgeService.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false)).status())
                    .isEqualTo(RunStatus.SUCCEEDED);
            assertThat(check.execute().isHealthy()).as("after a run that left nothing behind").isTrue();
        }
    }
}
