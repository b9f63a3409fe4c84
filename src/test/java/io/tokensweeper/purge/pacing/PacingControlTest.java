package io.tokensweeper.purge.pacing;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.purge.pacing.PacingControl.Change;
import io.tokensweeper.purge.pacing.PacingControl.Decision;
import io.tokensweeper.purge.pacing.PacingControl.Health;
import io.tokensweeper.purge.pacing.PacingControl.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pacer's control law, from observations alone: no clock, no database. */
class PacingControlTest {
    private static final long MS = 1_000_000L;
    private static final int SIZE = 5_000;

    /** Times are passed in: each batch here starts 100 ms after the last. */
    private long now;

    private Decision batch(PacingControl control, long tookMs, long rows, long blocks, Health health) {
        now += 100 * MS;
        return control.afterBatch(tookMs * MS, rows, blocks, health, now);
    }

    /** Dense batches (1,000 rows over 10 blocks) at 10 ms: the baseline. */
    private List<Decision> healthy(PacingControl control, int batches) {
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            decisions.add(batch(control, 10, 1_000, 10, Health.UNKNOWN));
        }
        return decisions;
    }

    @Test
    void slowsDownWhenTheBatchLatencyRisesAboveItsBaselineAndRecoversWhenItFalls() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        assertThat(healthy(control, 10)).allSatisfy(d -> {
            assertThat(d.pause()).isZero();
            assertThat(d.change()).isEqualTo(Change.NONE);
        });

        // 5x slower: one such batch is no sign (smoothed), the second is.
        Decision first = batch(control, 50, 1_000, 10, Health.UNKNOWN);
        assertThat(first.signs()).isEmpty();
        Decision second = batch(control, 50, 1_000, 10, Health.UNKNOWN);
        assertThat(second.change()).isEqualTo(Change.SLOWED);
        assertThat(second.signs()).singleElement().asString().startsWith("batch latency 3.0x baseline");
        // The first extra pause is the batch's own duration: the purge then works half the time.
        assertThat(second.pause()).isEqualTo(Duration.ofMillis(50));
        assertThat(batch(control, 50, 1_000, 10, Health.UNKNOWN).pause()).isEqualTo(Duration.ofMillis(100));
        assertThat(batch(control, 50, 1_000, 10, Health.UNKNOWN).pause()).isEqualTo(Duration.ofMillis(200));

        List<Decision> recovery = healthy(control, 40);
        assertThat(recovery).extracting(Decision::change).containsOnlyOnce(Change.RECOVERED);
        assertThat(recovery.get(recovery.size() - 1).pause()).isZero();
        assertThat(control.takeEpisodeSigns()).containsExactly("batch latency");
        // It shrinks step by step, never growing while healthy.
        for (int i = 1; i < recovery.size(); i++) {
            assertThat(recovery.get(i).pause()).isLessThanOrEqualTo(recovery.get(i - 1).pause());
        }
    }

    @Test
    void neverPausesLongerThanMaxPauseNorShorterThanBatchPause() {
        PacingSettings settings = PacingSettings.DEFAULT.withMaxPause(Duration.ofSeconds(1));
        PacingControl control = new PacingControl(settings, Duration.ofMillis(200), SIZE);
        List<Decision> decisions = new ArrayList<>(healthy(control, 5));
        for (int i = 0; i < 30; i++) {
            decisions.add(batch(control, 10, 1_000, 10, new Health(1, null, -1)));
        }
        decisions.addAll(healthy(control, 30));

        assertThat(decisions).allSatisfy(d -> assertThat(d.pause())
                .isBetween(Duration.ofMillis(200), Duration.ofSeconds(1)));
        assertThat(decisions).extracting(Decision::pause).contains(Duration.ofSeconds(1));
        assertThat(decisions.get(decisions.size() - 1).pause()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void aSparserStretchOfTheTableLearnsItsOwnBaselineInsteadOfLookingSlow() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        healthy(control, 10);
        // 300 rows over 300 blocks in 30 ms: ten times the dense stretch's time per row, as a sparse heap costs.
        List<Decision> sparse = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sparse.add(batch(control, 30, 300, 300, Health.UNKNOWN));
        }
        assertThat(sparse).allSatisfy(d -> assertThat(d.signs()).isEmpty());
        // ... but the same stretch at 4x its own baseline is a sign (from the fourth such batch: smoothed).
        List<Decision> slow = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slow.add(batch(control, 120, 300, 300, Health.UNKNOWN));
        }
        assertThat(slow).extracting(Decision::change).contains(Change.SLOWED);
    }

    @Test
    void batchesTooSmallToTimeAreNotJudged() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        healthy(control, 10);
        // 20 rows in 50 ms: the statement's own overhead, not a slow database.
        for (int i = 0; i < 10; i++) {
            assertThat(batch(control, 50, 20, 1, Health.UNKNOWN).signs()).isEmpty();
        }
    }

    @Test
    void slowsDownWhenSessionsWaitOnThePurgesLocksAndRecoversWhenNoneDo() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        healthy(control, 3);
        Decision waited = batch(control, 30, 1_000, 10, new Health(2, null, -1));

        assertThat(waited.change()).isEqualTo(Change.SLOWED);
        assertThat(waited.signs()).containsExactly("2 sessions waiting on the purge's locks");
        assertThat(waited.pause()).isEqualTo(Duration.ofMillis(30));
        assertThat(waited.waitForReplicas()).isFalse();
        assertThat(batch(control, 10, 1_000, 10, new Health(1, null, -1)).pause()).isEqualTo(Duration.ofMillis(60));
        // Not looked at (-1) or none seen: no sign, the pause shrinks.
        assertThat(batch(control, 10, 1_000, 10, new Health(0, null, -1)).pause()).isEqualTo(Duration.ofMillis(45));
        assertThat(healthy(control, 20)).extracting(Decision::change).containsOnlyOnce(Change.RECOVERED);
        assertThat(control.takeEpisodeSigns()).containsExactly("lock waiters");
    }

    @Test
    void waitsWhileAStandbyLagsPastTheLimitAndGoesOnWhenItCatchesUp() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        healthy(control, 3);
        assertThat(batch(control, 10, 1_000, 10, new Health(-1, Duration.ofSeconds(4), -1)).signs())
                .as("under the 5 s limit").isEmpty();

        Decision lagging = batch(control, 100, 1_000, 10, new Health(-1, Duration.ofSeconds(12), -1));
        assertThat(lagging.change()).isEqualTo(Change.SLOWED);
        assertThat(lagging.waitForReplicas()).isTrue();
        assertThat(lagging.signs()).containsExactly("replication lag 12s, over 5s");
        assertThat(control.whileWaiting(Duration.ofSeconds(8), Duration.ofSeconds(1))).isEqualTo(Wait.KEEP_WAITING);
        assertThat(control.whileWaiting(Duration.ofMillis(300), Duration.ofSeconds(2))).isEqualTo(Wait.CAUGHT_UP);

        // Between two readings the last one stands: no reading is no news.
        Decision after = batch(control, 10, 1_000, 10, Health.UNKNOWN);
        assertThat(after.signs()).isEmpty();
        assertThat(after.waitForReplicas()).isFalse();
        assertThat(after.pause()).isEqualTo(Duration.ofMillis(75));
        assertThat(healthy(control, 20)).extracting(Decision::change).containsOnlyOnce(Change.RECOVERED);
    }

    @Test
    void aWaitForAStandbyEndsAtMaxWaitAndIsNotRepeatedUntilTheStandbyHasCaughtUp() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        assertThat(batch(control, 10, 1_000, 10, new Health(-1, Duration.ofMinutes(5), -1)).waitForReplicas()).isTrue();
        assertThat(control.whileWaiting(Duration.ofMinutes(5), Duration.ofSeconds(59))).isEqualTo(Wait.KEEP_WAITING);
        assertThat(control.whileWaiting(Duration.ofMinutes(5), Duration.ofSeconds(60))).isEqualTo(Wait.GAVE_UP);

        // Still lagging: slowed down to the maximum, but no second wait.
        List<Decision> goingOn = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            goingOn.add(batch(control, 10, 1_000, 10, new Health(-1, Duration.ofMinutes(5), -1)));
        }
        assertThat(goingOn).allSatisfy(d -> {
            assertThat(d.waitForReplicas()).isFalse();
            assertThat(d.signs()).isNotEmpty();
        });
        assertThat(goingOn.get(goingOn.size() - 1).pause()).isEqualTo(PacingSettings.DEFAULT.maxPause());

        // Once it was seen under the limit, a new lag is waited out again.
        assertThat(batch(control, 10, 1_000, 10, new Health(-1, Duration.ZERO, -1)).waitForReplicas()).isFalse();
        assertThat(batch(control, 10, 1_000, 10, new Health(-1, Duration.ofSeconds(30), -1)).waitForReplicas()).isTrue();
    }

    @Test
    void aLagThatCanNoLongerBeReadIsNoStandingSign() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        healthy(control, 10);
        assertThat(batch(control, 10, 1_000, 10, new Health(-1, Duration.ofSeconds(12), -1)).signs())
                .containsExactly("replication lag 12s, over 5s");
        assertThat(batch(control, 10, 1_000, 10, Health.UNKNOWN).signs()).as("between two readings, the last holds")
                .containsExactly("replication lag 12s, over 5s");

        control.forgetLag();

        assertThat(batch(control, 10, 1_000, 10, Health.UNKNOWN).signs()).isEmpty();
    }

    @Test
    void aRequestedCheckpointIsPressureForThirtySeconds() {
        PacingControl control = new PacingControl(PacingSettings.DEFAULT, Duration.ZERO, SIZE);
        assertThat(control.afterBatch(10 * MS, 1_000, 10, new Health(-1, null, 40), 0).signs())
                .as("the first reading is only the reference").isEmpty();
        assertThat(control.afterBatch(10 * MS, 1_000, 10, new Health(-1, null, 40), 1_000 * MS).signs()).isEmpty();

        Decision requested = control.afterBatch(10 * MS, 1_000, 10, new Health(-1, null, 41), 2_000 * MS);
        assertThat(requested.change()).isEqualTo(Change.SLOWED);
        assertThat(requested.signs()).singleElement().asString().startsWith("a checkpoint was requested");
        assertThat(control.afterBatch(10 * MS, 1_000, 10, Health.UNKNOWN, 31_000 * MS).signs()).isNotEmpty();
        assertThat(control.afterBatch(10 * MS, 1_000, 10, new Health(-1, null, 41), 32_000 * MS).signs()).isEmpty();
    }

    @Test
    void signsSwitchedOffAreIgnored() {
        PacingSettings settings = PacingSettings.DEFAULT.withLatencyFactor(0).withMaxReplicationLag(Duration.ZERO);
        settings = new PacingSettings(settings.enabled(), settings.maxPause(), settings.maxWait(),
                settings.probeInterval(), settings.latencyFactor(), settings.maxReplicationLag(), false, 0);
        PacingControl control = new PacingControl(settings, Duration.ZERO, SIZE);
        healthy(control, 10);

        for (int i = 0; i < 10; i++) {
            Decision decision = control.afterBatch(500 * MS, 1_000, 10,
                    new Health(0, Duration.ofMinutes(10), 100 + i), (20 + i) * 1_000 * MS);
            assertThat(decision.signs()).isEmpty();
            assertThat(decision.waitForReplicas()).isFalse();
            assertThat(decision.pause()).isZero();
        }
    }
}
