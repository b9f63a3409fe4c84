package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A restarted node's gauges start from the run history, so an alert on them does not fire after a deploy. */
class JobMetricsRestoreTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    @Test
    void aStartingNodeReadsTheLastCompletedRunIntoItsGauges() {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.migrate(db);
        db.execute("""
                CREATE TABLE public.refresh_tokens (id bigserial PRIMARY KEY, expires_at timestamptz NOT NULL,
                  revoked boolean NOT NULL DEFAULT false);
                INSERT INTO public.refresh_tokens (expires_at) SELECT now() - interval '1 day' FROM generate_series(1, 10);
                """);
        CleanupFactory config = PurgeFixture.refreshTokensOnly("public", "refresh_tokens", "expires_at", "revoked");
        PurgeFixture.start(db, config, PurgeFixture.SMALL_BATCHES).run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));
        long finishedAt = db.queryLong("SELECT (extract(epoch FROM finished_at) * 1000)::bigint FROM sweeper.cleanup_runs");

        MetricRegistry fresh = new MetricRegistry();
        new PurgeService(config, PurgeFixture.SMALL_BATCHES, db.dataSource(), "sweeper", fresh, "restarted",
                Clock.systemUTC()).start();

        assertThat(gauge(fresh, "token-sweeper.refresh-tokens.last-success")).isBetween(finishedAt - 1, finishedAt + 1);
        assertThat(gauge(fresh, "token-sweeper.refresh-tokens.rows-skipped")).isZero();
        assertThat(gauge(fresh, "token-sweeper.password-resets.last-success")).as("never ran").isZero();
    }

    private static long gauge(MetricRegistry registry, String name) {
        Gauge<?> gauge = registry.getGauges().get(name);
        assertThat(gauge).as(name).isNotNull();
        return ((Number) gauge.getValue()).longValue();
    }
}
