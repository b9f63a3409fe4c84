package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows a run that went through its table (succeeded, partial or interrupted; dry runs too): the table's
 * space read right after it ({@link TableSpace}), whether autovacuum looks far behind on it ({@link AutovacuumLag}),
 * and for an opted-in target the VACUUM ({@link VacuumAfterPurge}), all recorded in the run's history row and
 * logged. A failed run reads nothing: its trouble is the database or the fence, and the next run reads again;
 * neither does a run that ends while its node shuts down (the pool may be closing).
 * Never fails the run, which has already ended: what cannot be read or recorded is logged and left NULL.
 */
final class SpaceAfterRun {
    private static final Logger LOG = LoggerFactory.getLogger(SpaceAfterRun.class);

    private final DataSource dataSource;
    private final RunHistory history;
    private final StopSignal stopSignal;
    private final VacuumAfterPurge vacuum;

    SpaceAfterRun(DataSource dataSource, RunHistory history, BatchSettings batch, StopSignal stopSignal) {
        this.dataSource = dataSource;
        this.history = history;
        this.stopSignal = stopSignal;
        this.vacuum = new VacuumAfterPurge(dataSource, batch.lockTimeout(), stopSignal);
    }

    void afterRun(PurgeTarget target, TargetFactory config, PurgeResult result) {
        if (result.runId() == null || result.status() == RunStatus.FAILED || result.status() == RunStatus.RUNNING
                || stopSignal.isStopRequested() || target.partitioned()) {
            // A partitioned table has no storage of its own; its leaves' space is not read (yet).
            return;
        }
        long runId = result.runId();
        String prefix = "Purge " + result.job() + " run " + runId + ": " + target.displayName();
        Optional<TableSpace> read = read(target, prefix);
        if (read.isEmpty()) {
            return;
        }
        TableSpace space = read.get();
        long deleted = result.dryRun() ? 0 : result.rowsDeleted();
        String warning = judge(target, result, space, deleted, prefix);
        RunSpace recorded = space.record(warning);
        record(prefix, () -> history.recordSpace(runId, recorded));
        LOG.info("{} takes {}", prefix, recorded.describe());
        if (config.isVacuumAfterPurge() && !result.dryRun()) {
            warning = vacuum(target, config, result, space, prefix, warning);
        }
        if (warning != null) {
            LOG.warn("{}: autovacuum is far behind: {}", prefix, warning);
        }
    }

    /** The opt-in VACUUM, if due; the autovacuum warning as it stands after it. */
    private String vacuum(PurgeTarget target, TargetFactory config, PurgeResult result, TableSpace space,
                          String prefix, String warning) {
        long runId = result.runId();
        Optional<String> notDue = VacuumAfterPurge.notDue(config, result.rowsDeleted(), space);
        if (notDue.isPresent()) {
            LOG.info("{}: no VACUUM, {}", prefix, notDue.get());
            record(prefix, () -> history.recordVacuum(runId, RunVacuum.notRun(notDue.get()), warning));
            return warning;
        }
        Duration timeout = config.getVacuumTimeout().toJavaDuration();
        LOG.info("{}: VACUUM (ANALYZE) after deleting {} rows ({} dead tuples)", prefix, result.rowsDeleted(),
                space.deadTuples());
        VacuumAfterPurge.Done done = vacuum.run(target, timeout);
        RunVacuum outcome = done.vacuum();
        // Its own VACUUM did autovacuum's work: judge autovacuum by what is left, none of it this run's.
        String after = done.after() == null ? warning : judge(target, result, done.after(), 0, prefix);
        record(prefix, () -> history.recordVacuum(runId, outcome, after));
        if (outcome.ran()) {
            LOG.info("{}: VACUUM (ANALYZE) took {} ms; dead tuples {} -> {}{}", prefix, outcome.durationMs(),
                    space.deadTuples(), outcome.deadTuplesAfter(), outcome.note() == null ? "" : " (" + outcome.note()
                            + ")");
        } else {
            LOG.warn("{}: VACUUM (ANALYZE) did not complete{}: {}", prefix,
                    outcome.durationMs() == null ? "" : " (" + outcome.durationMs() + " ms)", outcome.note());
        }
        return after;
    }

    /** The autovacuum warning, from the reading and what the job's earlier runs read; null when there is none. */
    private String judge(PurgeTarget target, PurgeResult result, TableSpace space, long deletedByRun, String prefix) {
        AutovacuumLag.Earlier earlier;
        try {
            earlier = history.earlierReadings(result.job(), result.runId(), space.lastAnyVacuum());
        } catch (SQLException e) {
            LOG.warn("{}: could not read the earlier runs' readings ({}); judging autovacuum without them", prefix,
                    e.getMessage());
            earlier = AutovacuumLag.Earlier.NONE;
        }
        return AutovacuumLag.warning(target.displayName(), space, deletedByRun, earlier).orElse(null);
    }

    private Optional<TableSpace> read(PurgeTarget target, String prefix) {
        try (Connection connection = dataSource.getConnection()) {
            return TableSpace.read(connection, target.qualifiedTable());
        } catch (SQLException e) {
            LOG.warn("{}: could not read the table's space after the run ({}); the next run reads it again", prefix,
                    e.getMessage());
            return Optional.empty();
        }
    }

    private interface Write {
        void run() throws SQLException;
    }

    private static void record(String prefix, Write write) {
        try {
            write.run();
        } catch (SQLException e) {
            LOG.warn("{}: could not record the table's space or VACUUM in the run history ({})", prefix,
                    e.getMessage());
        }
    }

    /** The node is shutting down: VACUUMs running now are cancelled rather than waited for. */
    void stop() {
        vacuum.cancelRunning();
    }
}
