package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The three rules of "autovacuum is far behind", on readings built by hand (the database's part is in TableSpaceTest). */
class AutovacuumLagTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final String TABLE = "public.refresh_tokens";

    private static TableSpace space(long dead, double threshold, Instant lastAutovacuum, String off) {
        return new TableSpace(8192 * 100, 8192 * 90, 10_000, dead, threshold, lastAutovacuum, null, off, NOW);
    }

    @Test
    void deadTuplesLeftByTheRunItselfAreNotAWarning() {
        // Right after a purge of 30% of the table: far over the threshold, all of it this run's.
        assertThat(AutovacuumLag.warning(TABLE, space(30_000, 2_050, null, null), 30_000)).isEmpty();
        assertThat(AutovacuumLag.warning(TABLE, space(30_000, 2_050, NOW.minus(Duration.ofDays(3)), null), 29_000))
                .isEmpty();
    }

    @Test
    void autovacuumOffWarnsAsSoonAsTheThresholdIsPassedCountingTheRunsOwnDeletes() {
        assertThat(AutovacuumLag.warning(TABLE, space(2_051, 2_050, null, "autovacuum_enabled=false on the table"),
                2_051)).hasValueSatisfying(w -> assertThat(w).startsWith("autovacuum will not vacuum public.refresh_tokens"
                + " (autovacuum_enabled=false on the table), and its 2051 dead tuples exceed the 2050 at which it would"));
        assertThat(AutovacuumLag.warning(TABLE, space(2_050, 2_050, null, "autovacuum is off on the server"), 0))
                .isEmpty();
    }

    @Test
    void farOverTheThresholdWarnsAndNamesTheHorizonWhenAVacuumRanRecently() {
        Instant recent = NOW.minus(Duration.ofMinutes(5));
        assertThat(AutovacuumLag.warning(TABLE, space(9_000, 2_000, recent, null), 0))
                .hasValueSatisfying(w -> assertThat(w).contains("9000 dead tuples of public.refresh_tokens that this"
                        + " run did not leave are 5x autovacuum's threshold of 2000").contains("holds back"));
        assertThat(AutovacuumLag.warning(TABLE, space(9_000, 2_000, NOW.minus(Duration.ofDays(1)), null), 0))
                .hasValueSatisfying(w -> assertThat(w).contains("5x").contains("not keeping up"));
        // 4x is still within what a busy minute and a running vacuum explain.
        assertThat(AutovacuumLag.warning(TABLE, space(8_000, 2_000, recent, null), 0)).isEmpty();
    }

    @Test
    void overTheThresholdWithoutAVacuumForHoursWarns() {
        assertThat(AutovacuumLag.warning(TABLE, space(3_000, 2_000, NOW.minus(Duration.ofHours(7)), null), 0))
                .hasValueSatisfying(w -> assertThat(w).contains("3000 dead tuples").contains("more than 6 h ago"));
        assertThat(AutovacuumLag.warning(TABLE, space(3_000, 2_000, null, null), 0))
                .hasValueSatisfying(w -> assertThat(w).contains("it has no vacuum on record"));
        assertThat(AutovacuumLag.warning(TABLE, space(3_000, 2_000, NOW.minus(Duration.ofHours(5)), null), 0))
                .isEmpty();
        // Under the threshold, however old the last vacuum: autovacuum has nothing to do.
        assertThat(AutovacuumLag.warning(TABLE, space(1_999, 2_000, null, null), 0)).isEmpty();
    }
}
