package io.tokensweeper.api;

import io.tokensweeper.purge.PartitionRun;
import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.purge.RunSpace;
import io.tokensweeper.purge.RunVacuum;
import io.tokensweeper.purge.SkipGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A run from the history, as JSON. Times are ISO-8601 instants in UTC. {@code rowsSkipped} counts the doomed
 * rows the run could not delete, {@code skipped} says why, with example keys; {@code lapPercent} how much of
 * the table the run walked (heap walk); {@code method} how it found its rows ({@code heap} or {@code index}) and
 * {@code methodReason} why. {@code space} is the table's size and tuples right after the run (null until read, and
 * for failed runs); {@code vacuum} the opt-in VACUUM after it (null when the target does not opt in);
 * {@code partitions} what a run of a partitioned target did in each leaf partition (null for an ordinary table).
 */
public record RunView(long id, String job, String trigger, String scheduledAt, String startedAt, String finishedAt,
                      Long durationMs, String nodeId, String status, boolean dryRun, long rowsDeleted, int batches,
                      long rowsSkipped, List<SkipGroup> skipped, Integer lapPercent, String error, String method,
                      String methodReason, SpaceView space, VacuumView vacuum,
                      List<PartitionRun> partitions) {

    /**
     * {@code tableBytes}: pg_total_relation_size (heap, indexes, TOAST); {@code heapBytes}: pg_relation_size;
     * {@code liveTuples}/{@code deadTuples}: pg_stat_user_tables' n_live_tup/n_dead_tup; {@code
     * autovacuumThreshold}: the dead tuples above which autovacuum vacuums the table; {@code lastAutovacuum}/{@code
     * lastVacuum}: null when never; {@code autovacuumWarning}: why autovacuum looks far behind, or null.
     */
    public record SpaceView(long tableBytes, long heapBytes, long liveTuples, long deadTuples, long autovacuumThreshold,
                            String lastAutovacuum, String lastVacuum, String autovacuumWarning) {
        static SpaceView of(RunSpace space) {
            return space == null ? null : new SpaceView(space.tableBytes(), space.heapBytes(), space.liveTuples(),
                    space.deadTuples(), space.autovacuumThreshold(), text(space.lastAutovacuum()),
                    text(space.lastVacuum()), space.autovacuumWarning());
        }
    }

    /**
     * {@code ran}: the VACUUM completed; {@code durationMs}: how long it took (null when it did not start);
     * {@code deadTuplesAfter}: the table's dead tuples right after it; {@code note}: why it did not run or complete.
     */
    public record VacuumView(boolean ran, Long durationMs, Long deadTuplesAfter, String note) {
        static VacuumView of(RunVacuum vacuum) {
            return vacuum == null ? null
                    : new VacuumView(vacuum.ran(), vacuum.durationMs(), vacuum.deadTuplesAfter(), vacuum.note());
        }
    }

    public static RunView of(RunRecord run) {
        return new RunView(run.id(), run.job(), run.trigger(), text(run.scheduledAt()), text(run.startedAt()),
                text(run.finishedAt()),
                run.finishedAt() == null ? null : Duration.between(run.startedAt(), run.finishedAt()).toMillis(),
                run.nodeId(), run.status().id(), run.dryRun(), run.rowsDeleted(), run.batches(), run.rowsSkipped(),
                run.skipped(), run.lapPercent(), run.error(), run.method() == null ? null : run.method().id(),
                run.methodReason(), SpaceView.of(run.space()), VacuumView.of(run.vacuum()), run.partitions());
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
