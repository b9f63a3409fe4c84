package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows a run that went through its table (succeeded, partial or interrupted; dry runs too): the table's
 * space read right after it ({@link TableSpace}) and whether autovacuum looks far behind on it
 * ({@link AutovacuumLag}), recorded in the run's history row and logged. A failed run reads nothing: its trouble is the database or the fence, and the next run reads again.
 * Never fails the run, which has already ended: what cannot be read or recorded is logged and left NULL.
 */
final class SpaceAfterRun {
    private static final Logger LOG = LoggerFactory.getLogger(SpaceAfterRun.class);

    private final DataSource dataSource;
    private final RunHistory history;

    SpaceAfterRun(DataSource dataSource, RunHistory history) {
        this.dataSource = dataSource;
        this.history = history;
    }

    void afterRun(PurgeTarget target, TargetFactory config, PurgeResult result) {
        if (result.runId() == null || result.status() == RunStatus.FAILED || result.status() == RunStatus.RUNNING) {
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
        String warning = AutovacuumLag.warning(target.displayName(), space, deleted).orElse(null);
        RunSpace recorded = space.record(warning);
        record(prefix, () -> history.recordSpace(runId, recorded));
        LOG.info("{} takes {}", prefix, recorded.describe());
        if (warning != null) {
            LOG.warn("{}: autovacuum is far behind: {}", prefix, warning);
        }
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
}
