package io.tokensweeper.purge;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Deletes a target's doomed rows in batches, each its own short transaction, under the target's fence.
 * The run walks the table's heap once, front to back, in ranges of blocks (a TID range scan, PostgreSQL
 * 14+): each batch deletes the doomed rows of its own range, so nothing is scanned twice and dead rows
 * left by earlier batches are never read again. The range grows or shrinks so that a batch deletes
 * about {@code batch.size} rows. The predicate is evaluated as each row is deleted, so a row the auth
 * service changed meanwhile is judged as it is now. Rows are not locked beforehand (that would need
 * UPDATE privilege); a batch that waits past lock_timeout is retried a few times before the run fails.
 * Stops between batches on shutdown or max run time. Holds no ids in memory at all.
 */
public final class PurgeEngine {
    private static final Logger LOG = LoggerFactory.getLogger(PurgeEngine.class);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final int LOCK_TIMEOUT_RETRIES = 3;
    private static final Duration FENCE_WAIT = Duration.ofSeconds(3);

    private final DataSource dataSource;
    private final RunHistory history;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final Clock clock;

    public PurgeEngine(DataSource dataSource, RunHistory history, BatchSettings batch, StopSignal stopSignal,
                       Clock clock) {
        this.dataSource = dataSource;
        this.history = history;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.clock = clock;
    }

    /**
     * Closes runs of the target left 'running' by a node that died or lost its database, if no purge of
     * the target is running now (the fence is free). Called at start, so they do not wait for the next run.
     */
    public int closeAbandonedRuns(PurgeTarget target, String nodeId) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            if (!RunFence.tryAcquire(connection, target)) {
                return 0;
            }
            try {
                return history.closeAbandoned(target.job(), -1, nodeId);
            } finally {
                RunFence.release(connection, target);
            }
        }
    }

    /** Whether a purge of the target is running anywhere in the cluster (its fence is held). */
    public boolean isRunning(PurgeTarget target) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return RunFence.isHeld(connection, target);
        }
    }

    public PurgeResult run(PurgeTarget target, PurgeRequest request, String nodeId) {
        Instant started = clock.instant();
        Long runId = null;
        Progress progress = new Progress();
        try {
            runId = history.start(target.job(), request, nodeId);
            LOG.info("Purge {} run {} started: trigger {}, node {}{}", target.job(), runId, request.trigger().id(),
                    nodeId, request.dryRun() ? ", dry run" : "");
            purge(target, request, progress, started, runId, nodeId);
        } catch (SQLException | RuntimeException e) {
            progress.fail(e);
            LOG.error("Purge {} run {} failed after {} rows in {} batches; the rows left stay for the next run",
                    target.job(), runId == null ? "-" : runId, progress.rows, progress.batches, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            progress.interrupt("the run's thread was interrupted");
        }
        PurgeResult result = new PurgeResult(runId, target.job(), request.trigger(), progress.status,
                request.dryRun(), progress.rows, progress.batches, Duration.between(started, clock.instant()),
                nodeId, progress.error);
        record(result);
        return result;
    }

    private void purge(PurgeTarget target, PurgeRequest request, Progress progress, Instant started, long runId,
                       String nodeId) throws SQLException, InterruptedException {
        try (Connection connection = dataSource.getConnection()) {
            if (!RunFence.acquire(connection, target, FENCE_WAIT)) {
                progress.failWith("another purge of " + target.displayName() + " is running, held by "
                        + RunFence.holder(connection, target) + "; this run deleted nothing");
                return;
            }
            boolean released = false;
            try {
                int abandoned = history.closeAbandoned(target.job(), runId, nodeId);
                if (abandoned > 0) {
                    LOG.warn("Purge {}: closed {} earlier run(s) left 'running' by a node that stopped mid-run",
                            target.job(), abandoned);
                }
                if (request.dryRun()) {
                    progress.rows = countDoomed(connection, target);
                } else {
                    deleteInBatches(connection, target, progress, started, runId);
                }
                connection.setAutoCommit(true);
                resetRunSettings(connection);
                RunFence.release(connection, target);
                released = true;
            } finally {
                if (!released) {
                    discard(connection);
                }
            }
        }
        if (progress.status == RunStatus.RUNNING) {
            progress.status = RunStatus.SUCCEEDED;
        }
    }

    private void deleteInBatches(Connection connection, PurgeTarget target, Progress progress, Instant started,
                                 long runId) throws SQLException, InterruptedException {
        String predicate = DoomedRowPredicate.sql(target);
        Instant deadline = started.plus(batch.maxRunTime());
        Instant nextProgressLog = started.plus(PROGRESS_INTERVAL);
        // For the whole run, on this connection only; reset before the connection goes back to the pool.
        // The walk's own catalog queries lock the table too, so they wait no longer than a batch would.
        setRunSettings(connection);
        connection.setAutoCommit(false);
        HeapWalk walk = HeapWalk.start(connection, target, batch.size());
        connection.commit();
        int lockTimeouts = 0;
        while (hasNext(connection, walk)) {
            if (stopSignal.isStopRequested()) {
                progress.interrupt("the node is shutting down; the rest is left for the next run");
                return;
            }
            if (clock.instant().isAfter(deadline)) {
                progress.interrupt("reached the maximum run time " + batch.maxRunTime()
                        + "; the rest is left for the next run");
                return;
            }
            int deleted;
            try {
                deleted = deleteBatch(connection, walk.rangeSql(target.qualifiedTable(), predicate));
                lockTimeouts = 0;
            } catch (SQLException e) {
                if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || ++lockTimeouts > LOCK_TIMEOUT_RETRIES) {
                    throw e;
                }
                LOG.warn("Purge {} run {}: a batch waited past lock_timeout {} behind another transaction;"
                        + " retrying ({} of {})", target.job(), runId, batch.lockTimeout(), lockTimeouts,
                        LOCK_TIMEOUT_RETRIES);
                stopSignal.pause(batch.lockTimeout());
                continue;
            }
            walk.advance(deleted);
            progress.rows += deleted;
            progress.batches++;
            if (!clock.instant().isBefore(nextProgressLog)) {
                LOG.info("Purge {} run {} in progress: {} rows in {} batches so far, {}% of the table walked",
                        target.job(), runId, progress.rows, progress.batches, walk.percentDone());
                nextProgressLog = clock.instant().plus(PROGRESS_INTERVAL);
            }
            stopSignal.pause(batch.pause());
        }
    }

    private static boolean hasNext(Connection connection, HeapWalk walk) throws SQLException {
        if (walk.hasNextInKnownTable()) {
            return true;
        }
        boolean grown = walk.extendToCurrentSize(connection);
        connection.commit();
        return grown;
    }

    private int deleteBatch(Connection connection, String sql) throws SQLException {
        try {
            int deleted;
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                deleted = statement.executeUpdate();
            }
            connection.commit();
            return deleted;
        } catch (SQLException e) {
            rollbackQuietly(connection);
            throw e;
        }
    }

    /**
     * The run's session settings, reset before the connection goes back to the pool. A batch's commit
     * does not wait for its WAL to reach disk: should the server crash, the last batches' deletions may be
     * lost, which only means those rows are still there for the next run. Nothing is deleted that should not be.
     */
    private void setRunSettings(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT set_config('lock_timeout', ?, false), set_config('statement_timeout', ?, false),"
                        + " set_config('synchronous_commit', 'off', false)")) {
            statement.setString(1, batch.lockTimeout().toMillis() + "ms");
            statement.setString(2, batch.statementTimeout().toMillis() + "ms");
            statement.executeQuery().close();
        }
    }

    private static void resetRunSettings(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("RESET lock_timeout; RESET statement_timeout; RESET synchronous_commit");
        }
    }

    private long countDoomed(Connection connection, PurgeTarget target) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM ONLY " + target.qualifiedTable() + " WHERE "
                        + DoomedRowPredicate.sql(target))) {
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private void record(PurgeResult result) {
        if (result.runId() != null) {
            try {
                history.finish(result.runId(), result.status(), result.rowsDeleted(), result.batches(),
                        result.error());
            } catch (SQLException e) {
                LOG.error("Could not record the end of purge {} run {} ({}); the row stays 'running' until a node"
                        + " closes it", result.job(), result.runId(), result.status().id(), e);
            }
        }
        // The run's facts as fields too, for JSON log lines (config.yml: logging.appenders[0].layout.type json).
        try (MDC.MDCCloseable job = MDC.putCloseable("job", result.job().id());
             MDC.MDCCloseable runId = MDC.putCloseable("runId", String.valueOf(result.runId()));
             MDC.MDCCloseable status = MDC.putCloseable("status", result.status().id());
             MDC.MDCCloseable rows = MDC.putCloseable("rowsDeleted", Long.toString(result.rowsDeleted()));
             MDC.MDCCloseable batches = MDC.putCloseable("batches", Integer.toString(result.batches()));
             MDC.MDCCloseable duration = MDC.putCloseable("durationMs", Long.toString(result.duration().toMillis()));
             MDC.MDCCloseable trigger = MDC.putCloseable("trigger", result.trigger().id());
             MDC.MDCCloseable node = MDC.putCloseable("node", result.nodeId());
             MDC.MDCCloseable dryRun = MDC.putCloseable("dryRun", Boolean.toString(result.dryRun()))) {
            if (result.status() == RunStatus.FAILED) {
                LOG.error("Purge finished: {}", result.summary());
            } else if (result.status() == RunStatus.INTERRUPTED) {
                LOG.warn("Purge finished: {}", result.summary());
            } else {
                LOG.info("Purge finished: {}", result.summary());
            }
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.debug("Rollback after a failed batch failed too; the connection will be discarded", e);
        }
    }

    /** A connection that may still hold the fence must never go back to the pool. */
    private void discard(Connection connection) {
        if (dataSource instanceof HikariDataSource hikari) {
            hikari.evictConnection(connection);
        } else {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                LOG.warn("Could not abort a purge connection that may hold an advisory lock", e);
            }
        }
    }

    /** The counts of a run in progress and how it ended. */
    private static final class Progress {
        RunStatus status = RunStatus.RUNNING;
        long rows;
        int batches;
        String error;

        void fail(Exception e) {
            failWith(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }

        void failWith(String message) {
            status = RunStatus.FAILED;
            error = message;
        }

        void interrupt(String reason) {
            status = RunStatus.INTERRUPTED;
            error = reason;
        }
    }
}
