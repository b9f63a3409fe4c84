package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.purge.AutovacuumLag.Earlier;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The rules of "autovacuum is far behind", on readings built by hand (the database's part is in TableSpaceTest). */
class AutovacuumLagTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final String TABLE = "public.refresh_tokens";

    private static TableSpace space(long dead, double threshold, Instant lastAutovacuum, String off) {
        return new TableSpace(8192 * 100, 8192 * 90, 10_000, dead, threshold, lastAutovacuum, null, off, NOW);
    }

    private static Earlier overSince(Duration ago) {
        return new Earlier(NOW.minus(Duration.ofMinutes(1)), 41L, NOW.minus(ago));
    }

    @Test
    void deadTuplesLeftByTheRunItselfAreNotAWarning() {
        // Right after a purge of 30% of the table: far over the threshold, all of it this run's.
        assertThat(AutovacuumLag.warning(TABLE, space(30_000, 2_050, null, null), 30_000, Earlier.NONE)).isEmpty();
        assertThat(AutovacuumLag.warning(TABLE, space(30_000, 2_050, NOW.minus(Duration.ofDays(3)), null), 29_000,
                overSince(Duration.ofDays(1)))).isEmpty();
    }

    @Test
    void autovacuumOffWarnsAsSoonAsTheThresholdIsPassedCountingTheRunsOwnDeletes() {
        assertThat(AutovacuumLag.warning(TABLE, space(2_051, 2_050, null, "autovacuum_enabled=false on the table"),
                2_051, Earlier.NONE)).hasValueSatisfying(w -> assertThat(w).startsWith("autovacuum will not vacuum"
                + " public.refresh_tokens (autovacuum_enabled=false on the table), and its 2051 dead tuples exceed"
                + " the 2050 at which it would"));
        assertThat(AutovacuumLag.warning(TABLE, space(2_050, 2_050, null, "autovacuum is off on the server"), 0,
                Earlier.NONE)).isEmpty();
    }

    @Test
    void deadTuplesOverTheThresholdSinceAnEarlierRunHoursAgoWithoutAVacuumAreAWarning() {
        assertThat(AutovacuumLag.warning(TABLE, space(3_000, 2_000, null, null), 0, overSince(Duration.ofHours(7))))
                .hasValueSatisfying(w -> assertThat(w).isEqualTo("3000 dead tuples of public.refresh_tokens that this"
                        + " run did not leave exceed autovacuum's threshold of 2000 for it; run 41 already found more"
                        + " than the threshold 7 h ago, and no vacuum is on record: autovacuum, which should come"
                        + " within minutes, is not getting to it (its workers busy with other tables, or throttled"
                        + " too hard)"));
        // Over the threshold for 5 hours only, or not over it any more: no evidence.
        assertThat(AutovacuumLag.warning(TABLE, space(3_000, 2_000, null, null), 0, overSince(Duration.ofHours(5))))
                .isEmpty();
        assertThat(AutovacuumLag.warning(TABLE, space(1_999, 2_000, null, null), 0, overSince(Duration.ofDays(2))))
                .isEmpty();
        // A second run a minute after a large one: far over the threshold, no vacuum yet, and no time has passed.
        assertThat(AutovacuumLag.warning(TABLE, space(30_000, 2_000, NOW.minus(Duration.ofDays(3)), null), 0,
                overSince(Duration.ofMinutes(1)))).isEmpty();
    }

    @Test
    void deadTuplesFarOverTheThresholdThatAVacuumLeftAreAWarning() {
        Instant vacuumed = NOW.minus(Duration.ofMinutes(5));
        Earlier before = new Earlier(NOW.minus(Duration.ofHours(1)), null, null);
        assertThat(AutovacuumLag.warning(TABLE, space(9_000, 2_000, vacuumed, null), 0, before))
                .hasValueSatisfying(w -> assertThat(w).startsWith("9000 dead tuples of public.refresh_tokens that"
                        + " this run did not leave are 5x autovacuum's threshold of 2000 for it, though its last"
                        + " vacuum ended at 2026-11-29T11:55:00Z: something holds back their removal"));
        // 4x is within what a busy minute explains.
        assertThat(AutovacuumLag.warning(TABLE, space(8_000, 2_000, vacuumed, null), 0, before)).isEmpty();
        // The last vacuum was before the previous reading: nothing says vacuum has been at these.
        assertThat(AutovacuumLag.warning(TABLE, space(9_000, 2_000, NOW.minus(Duration.ofHours(2)), null), 0, before))
                .isEmpty();
    }
}
