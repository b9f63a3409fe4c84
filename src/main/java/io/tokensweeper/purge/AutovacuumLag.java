package io.tokensweeper.purge;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether autovacuum looks far behind on a target table, judged right after a run from the table's
 * {@link TableSpace}. Autovacuum visits every database once per {@code autovacuum_naptime} (1 min by default)
 * and vacuums a table as soon as its dead tuples exceed the table's threshold, so on a table it keeps up with the dead tuples
 * hover around that threshold and a vacuum is never hours old while they are above it. Three rules:
 * <ol>
 *   <li><b>Off.</b> Autovacuum will not vacuum the table at all ({@code autovacuum_enabled=false} on it, or
 *   {@code autovacuum} or {@code track_counts} off on the server) and its dead tuples exceed the threshold: they
 *   stay until someone vacuums it (only an anti-wraparound vacuum would come by itself). This run's own deletes
 *   count: nothing will clean them up either.</li>
 *   <li><b>Far over.</b> The dead tuples this run did not leave (all of them minus the rows it deleted) are more
 *   than {@value #FAR_OVER_FACTOR} times the threshold. A run that has just deleted a fifth of the table is
 *   always over the threshold by construction, which says nothing about autovacuum, hence its own deletes are
 *   left out; a table autovacuum keeps up with stays near 1x, and 4x leaves room for a busy minute's churn and for
 *   a vacuum that is running now. When the table was vacuumed recently and still has them, vacuum ran but could
 *   not remove them: something holds back the xmin horizon.</li>
 *   <li><b>Stale.</b> The dead tuples this run did not leave exceed the threshold and the table has not been
 *   vacuumed (by autovacuum or by hand) for more than {@link #STALE} (or ever, since its statistics were reset).
 *   Autovacuum should have come within minutes; six hours allows for a long, throttled vacuum of a large table
 *   (its end is what {@code last_autovacuum} records) and for workers busy with larger tables for a while.</li>
 * </ol>
 * Dead tuples slightly over the threshold right after a run are not a warning: that is the moment autovacuum
 * has not had yet.
 */
final class AutovacuumLag {
    static final int FAR_OVER_FACTOR = 4;
    static final Duration STALE = Duration.ofHours(6);

    private AutovacuumLag() {
    }

    /**
     * The warning for {@code table}, if autovacuum looks far behind on it; {@code deletedByRun} is the rows the run
     * just deleted (0 for a dry run, and after token-sweeper's own VACUUM).
     */
    static Optional<String> warning(String table, TableSpace space, long deletedByRun) {
        double threshold = space.autovacuumThreshold();
        long threshold0 = (long) Math.floor(threshold);
        if (space.autovacuumOff() != null && space.deadTuples() > threshold) {
            return Optional.of("autovacuum will not vacuum " + table + " (" + space.autovacuumOff() + "), and its "
                    + space.deadTuples() + " dead tuples exceed the " + threshold0 + " at which it would: they stay"
                    + " until the table is vacuumed (turn autovacuum on for it, or let token-sweeper VACUUM it after large"
                    + " purges: vacuumAfterPurge)");
        }
        long older = Math.max(0, space.deadTuples() - deletedByRun);
        Instant lastVacuum = space.lastAnyVacuum();
        boolean stale = lastVacuum == null || lastVacuum.isBefore(space.readAt().minus(STALE));
        String since = lastVacuum == null ? "it has no vacuum on record" : "its last vacuum ended at " + lastVacuum;
        if (older > FAR_OVER_FACTOR * threshold) {
            return Optional.of(older + " dead tuples of " + table + " that this run did not leave are "
                    + (threshold <= 0 ? "over" : String.format(Locale.ROOT, "%.0fx", older / threshold))
                    + " autovacuum's threshold of " + threshold0 + " for it, and " + since + (stale
                    ? ": autovacuum is not keeping up (workers busy with other tables, or throttled too hard)"
                    : ", yet they remain: something holds back their removal (a long-running or idle-in-transaction"
                    + " session, an abandoned prepared transaction or replication slot, hot_standby_feedback)"));
        }
        if (older > threshold && stale) {
            return Optional.of(older + " dead tuples of " + table + " that this run did not leave exceed"
                    + " autovacuum's threshold of " + threshold0 + " for it, and " + since
                    + (lastVacuum == null ? "" : ", more than " + STALE.toHours() + " h ago")
                    + ": autovacuum, which looks every autovacuum_naptime, is not getting"
                    + " to it (workers busy with other tables, or throttled too hard)");
        }
        return Optional.empty();
    }
}
