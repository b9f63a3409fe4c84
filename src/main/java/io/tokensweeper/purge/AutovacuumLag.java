package io.tokensweeper.purge;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether autovacuum looks far behind on a target table, judged right after a run from the table's
 * {@link TableSpace} and from what the job's earlier runs read of it ({@link Earlier}).
 * <p>
 * Autovacuum visits every database once per {@code autovacuum_naptime} (1 min by default) and vacuums a table as
 * soon as its dead tuples exceed the table's threshold, so on a table it keeps up with the dead tuples stay around
 * that threshold or below, and never stay above it for long. Dead tuples over the threshold at one moment prove
 * nothing: right after a purge they are over it by construction (its own deletes), and steady churn crosses the
 * threshold a minute before autovacuum comes. What shows that autovacuum is behind is dead tuples that stay, so
 * the rules leave the run's own deletes out and look for evidence of time:
 * <ol>
 *   <li><b>Off.</b> Autovacuum will not vacuum the table at all ({@code autovacuum_enabled=false} on it, or
 *   {@code autovacuum} or {@code track_counts} off on the server) and its dead tuples exceed the threshold: they
 *   stay until someone vacuums it (only an anti-wraparound vacuum would come by itself). The run's own deletes
 *   count here: nothing will clean them up either.</li>
 *   <li><b>Stale.</b> The dead tuples this run did not leave exceed the threshold, and an earlier run of the job,
 *   more than {@link #STALE} ago and after the table's last vacuum (if any is on record), already found more dead
 *   tuples than the threshold: they have been over it for hours and no vacuum has finished since. Six hours allow
 *   for a long, throttled vacuum of a large table (its end is what {@code last_autovacuum} records) and for
 *   workers busy with larger tables for a while; autovacuum should come within minutes.</li>
 *   <li><b>Left behind.</b> A vacuum has finished since the job's previous reading (or one is on record and there
 *   was no previous reading), yet the dead tuples this run did not leave are more than {@value #FAR_OVER_FACTOR}
 *   times the threshold: vacuum ran and could not remove them (something holds back the xmin horizon), or the
 *   table churned four thresholds' worth since and autovacuum has not come back. 4x leaves room for a busy
 *   minute's churn.</li>
 * </ol>
 * Known blind spot: after the statistics are reset (a crash, {@code pg_stat_reset()}) the last vacuum is unknown,
 * and readings from before the reset count as evidence; the dead tuple counts are reset too, so this errs only
 * when dead tuples pile up again within minutes.
 */
final class AutovacuumLag {
    static final int FAR_OVER_FACTOR = 4;
    static final Duration STALE = Duration.ofHours(6);

    /**
     * What the job's earlier runs read of the table: when the newest of them read it ({@code previousReading}, null
     * when none did), and the first of them since the table's last vacuum that found more dead tuples than the
     * threshold ({@code overSinceRun} and its end {@code overSince}, null when none did).
     */
    record Earlier(Instant previousReading, Long overSinceRun, Instant overSince) {
        static final Earlier NONE = new Earlier(null, null, null);
    }

    private AutovacuumLag() {
    }

    /**
     * The warning for {@code table}, if autovacuum looks far behind on it; {@code deletedByRun} is the rows the run
     * just deleted (0 for a dry run, and after token-sweeper's own VACUUM).
     */
    static Optional<String> warning(String table, TableSpace space, long deletedByRun, Earlier earlier) {
        double threshold = space.autovacuumThreshold();
        long shownThreshold = (long) Math.floor(threshold);
        if (space.autovacuumOff() != null && space.deadTuples() > threshold) {
            return Optional.of("autovacuum will not vacuum " + table + " (" + space.autovacuumOff() + "), and its "
                    + space.deadTuples() + " dead tuples exceed the " + shownThreshold + " at which it would: they"
                    + " stay until the table is vacuumed (turn autovacuum on for it, or let token-sweeper VACUUM it"
                    + " after large purges: vacuumAfterPurge)");
        }
        long older = Math.max(0, space.deadTuples() - deletedByRun);
        Instant lastVacuum = space.lastAnyVacuum();
        String last = lastVacuum == null ? "no vacuum is on record" : "its last vacuum ended at " + lastVacuum;
        if (older > threshold && earlier.overSince() != null
                && earlier.overSince().isBefore(space.readAt().minus(STALE))) {
            long hours = Duration.between(earlier.overSince(), space.readAt()).toHours();
            return Optional.of(older + " dead tuples of " + table + " that this run did not leave exceed autovacuum's"
                    + " threshold of " + shownThreshold + " for it; run " + earlier.overSinceRun() + " already found"
                    + " more than the threshold " + hours + " h ago, and " + last + ": autovacuum, which should come"
                    + " within minutes, is not getting to it (its workers busy with other tables, or throttled too"
                    + " hard)");
        }
        boolean vacuumedSince = lastVacuum != null
                && (earlier.previousReading() == null || lastVacuum.isAfter(earlier.previousReading()));
        if (vacuumedSince && older > FAR_OVER_FACTOR * threshold) {
            return Optional.of(older + " dead tuples of " + table + " that this run did not leave are "
                    + (threshold <= 0 ? "over" : String.format(Locale.ROOT, "%.0fx", older / threshold))
                    + " autovacuum's threshold of " + shownThreshold + " for it, though " + last + ": something holds"
                    + " back their removal (a long-running or idle-in-transaction session, an abandoned prepared"
                    + " transaction or replication slot, hot_standby_feedback), or autovacuum has not come back since");
        }
        return Optional.empty();
    }
}
