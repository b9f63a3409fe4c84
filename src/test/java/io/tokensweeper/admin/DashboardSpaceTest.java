package io.tokensweeper.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.purge.RunSpace;
import io.tokensweeper.purge.RunStatus;
import io.tokensweeper.purge.RunVacuum;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dashboard's space section, rendered without a server: the autovacuum warning stands out, escaped. */
class DashboardSpaceTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    private static RunRecord run(long id, String job, RunSpace space, RunVacuum vacuum) {
        return new RunRecord(id, job, "cron", null, NOW.minusSeconds(60), NOW.minusSeconds(59), "n1",
                RunStatus.SUCCEEDED, false, 3_000, 1, 0, List.of(), 100, null, null, null, null, space, vacuum);
    }

    private static DashboardPage.JobRow job(String name, RunRecord lastSpace) {
        return new DashboardPage.JobRow(name, true, false, "0 3 * * *", "0 0 3 * * ?", "UTC", null, lastSpace,
                List.of(), lastSpace);
    }

    @Test
    void aWarningIsShownAboveTheTableAndTheVacuumSaysWhatItDid() {
        RunRecord behind = run(7, "refresh-tokens", new RunSpace(3L << 30, 2L << 30, 7_000, 3_000, 50, null,
                NOW.minusSeconds(3_600), "autovacuum will not vacuum <public.refresh_tokens>"), null);
        RunRecord vacuumed = run(8, "password-resets", new RunSpace(1_536, 1_024, 10, 40, 52, null, null, null),
                new RunVacuum(true, 35L, 0L, null));

        String page = DashboardPage.render("n1", "c", true, List.of(),
                List.of(job("refresh-tokens", behind), job("password-resets", vacuumed)), List.of(behind, vacuumed),
                new CleanupFactory().batchSettings(), NOW);

        assertThat(page).contains("<p class=\"warn\"><b>autovacuum is far behind</b> (refresh-tokens, run 7):"
                        + " autovacuum will not vacuum &lt;public.refresh_tokens&gt;</p>")
                .contains("<td class=\"num\">3.0 GiB (2.0 GiB)</td>").contains("<td class=\"num warn\">3000</td>")
                .contains("<td>never</td><td>2026-11-29 11:00:00 UTC</td>")
                .contains("<span class=\"muted\">not opted in</span>")
                .contains("<td class=\"num\">1.5 KiB (1.0 KiB)</td>")
                .contains("<span class=\"ok\">ran, 35 ms</span>, 0 dead tuples after")
                .contains("3000 (autovacuum behind)").contains("0<br><small>VACUUM 35 ms</small>")
                .doesNotContain("<public.refresh_tokens>");
    }

    @Test
    void beforeAnyRunHasReadItsSpaceTheSectionSaysSo() {
        String page = DashboardPage.render("n1", "c", true, List.of(), List.of(job("refresh-tokens", null)), List.of(),
                new CleanupFactory().batchSettings(), NOW);

        assertThat(page).contains("no run has read its table's space yet");
    }
}
