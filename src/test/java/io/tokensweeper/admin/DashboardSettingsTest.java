package io.tokensweeper.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.pacing.PacingSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dashboard's settings section, rendered without a server: each key of config.yml with this node's value. */
class DashboardSettingsTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    @Test
    void theBatchAndPacingSettingsAreShownUnderTheirKeys() {
        BatchSettings batch = new CleanupFactory().batchSettings().withPause(Duration.ofMillis(200))
                .withPacing(PacingSettings.DEFAULT.withMaxReplicationLag(Duration.ofSeconds(10)));

        String page = DashboardPage.render("n1", "c", true, List.of(), List.of(), List.of(), batch, NOW);

        assertThat(page).contains("Purge settings of this node")
                .contains("<code>cleanup.batch.size</code></td><td>20000<")
                .contains("<code>cleanup.batch.pause</code></td><td>200ms<")
                .contains("<code>cleanup.pacing.enabled</code></td><td>true<")
                .contains("<code>cleanup.pacing.maxPause</code></td><td>5s<")
                .contains("<code>cleanup.pacing.maxWait</code></td><td>1m<")
                .contains("<code>cleanup.pacing.probeInterval</code></td><td>250ms<")
                .contains("<code>cleanup.pacing.latencyFactor</code></td><td>3.0<")
                .contains("<code>cleanup.pacing.maxReplicationLag</code></td><td>10s<")
                .contains("<code>cleanup.pacing.checkpoints</code></td><td>true<")
                .contains("<code>cleanup.pacing.maxWalPerSecond</code></td><td>0 (no WAL budget)<")
                .contains("pacing on: pauses up to 5s when it sees lock waiters, batch latency 3.0x its baseline,"
                        + " requested checkpoints, standbys more than 10s behind (waits up to 1m for them);"
                        + " probes at most every 250ms");
    }

    @Test
    void aWalBudgetIsShownInMebibytes() {
        BatchSettings batch = new CleanupFactory().batchSettings()
                .withPacing(PacingSettings.DEFAULT.withMaxWalPerSecond(32L * 1024 * 1024 + 512 * 1024));

        String page = DashboardPage.render("n1", "c", true, List.of(), List.of(), List.of(), batch, NOW);

        assertThat(page).contains("<code>cleanup.pacing.maxWalPerSecond</code></td><td>32.5 MiB<")
                .contains("standbys more than 5s behind (waits up to 1m for them); its batches write at most 32.5 MiB"
                        + " of WAL a second; probes at most every 250ms");
    }

    @Test
    void pacingOffSaysSo() {
        BatchSettings batch = new CleanupFactory().batchSettings().withPacing(PacingSettings.OFF);

        String page = DashboardPage.render("n1", "c", true, List.of(), List.of(), List.of(), batch, NOW);

        assertThat(page).contains("pacing off: a fixed batch.pause between batches")
                .contains("<code>cleanup.pacing.enabled</code></td><td>false<");
    }
}
