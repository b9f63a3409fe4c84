package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node whose clock is hours off deletes exactly what a node with a right clock deletes. */
class ClockSkewTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    @BeforeAll
    static void migrate() {
        PurgeFixture.migrate(POSTGRES.database());
    }

    @ParameterizedTest(name = "node clock off by {0} hours")
    @ValueSource(ints = {-9, 0, 7})
    void theDatabaseClockDecides(int hoursOff) {
        TestDatabase db = POSTGRES.database();
        String table = "skew_" + (hoursOff < 0 ? "minus" : "plus") + Math.abs(hoursOff);
        db.execute("CREATE TABLE public." + table + " (id serial, doomed boolean, expires_at timestamptz, revoked boolean);"
                + "INSERT INTO public." + table + " (doomed, expires_at, revoked) VALUES"
                + " (false, now() + interval '1 hour', false), (false, now() + interval '8 hours', false),"
                + " (true, now() - interval '1 hour', false), (true, now() - interval '10 hours', false)");
        Clock skewed = Clock.offset(Clock.systemUTC(), Duration.ofHours(hoursOff));
        PurgeService service = new PurgeService(
                PurgeFixture.refreshTokensOnly("public", table, "expires_at", "revoked"), PurgeFixture.SMALL_BATCHES,
                db.dataSource(), "sweeper", new MetricRegistry(), "skewed-node", skewed);
        service.start();

        PurgeResult result = service.run(JobName.REFRESH_TOKENS, PurgeRequest.cli(false));

        assertThat(result.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.rowsDeleted()).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM public." + table + " WHERE doomed")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM public." + table + " WHERE NOT doomed")).isEqualTo(2);
    }
}
