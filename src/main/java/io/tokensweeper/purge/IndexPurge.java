package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.Pacer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's index walk: each part of the doomed-row predicate ({@link KeysetStream}) in key order, in batches of at
 * most {@code batch.size} rows. Each batch picks its rows through the index, deletes them by position with the
 * full predicate re-checked, and commits with the run's progress; rows the auth service changed meanwhile are
 * re-checked and kept. A batch that fails goes row by row ({@link RowDeleter}); rows that cannot go are skipped,
 * reported and tried once more at the end. Rows that become doomed behind the walk's position are the next run's.
 */
final class IndexPurge {
    private static final Logger LOG = LoggerFactory.getLogger(IndexPurge.class);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);

    private final Connection connection;
    private final PurgeTarget target;
    private final List<KeysetStream> streams;
    private final PurgeStatements statements;
    private final RowDeleter rowDeleter;
    private final TableGuard guard;
    private final RunProgress progress;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final Clock clock;
    private final Instant deadline;
    /** The pause after each batch: batch.pause, longer while the purge hurts the database. */
    private final Pacer pacer;
    private int limit;

    IndexPurge(FencedSession session, PurgeTarget target, List<KeysetStream> streams, PurgeStatements statements,
               RunProgress progress, BatchSettings batch, StopSignal stopSignal, Clock clock, Instant started) {
        this.connection = session.connection();
        this.target = target;
        this.streams = streams;
        this.statements = statements;
        this.progress = progress;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.clock = clock;
        this.deadline = started.plus(batch.maxRunTime());
        this.limit = batch.size();
        this.guard = new TableGuard(target, session.tableOid());
        this.rowDeleter = new RowDeleter(connection, target, session.tableOid(), statements, progress, batch,
                stopSignal, this::mustStop);
        this.pacer = new Pacer(batch.pacing(), batch.pause(), batch.size(), "Purge " + target.job() + " run "
                + progress.runId(), stopSignal::pause, this::mustStop, progress::paused);
    }

    RunOutcome run() throws SQLException, RunFailedException, InterruptedException {
        connection.setAutoCommit(false);
        Instant nextProgressLog = clock.instant().plus(PROGRESS_INTERVAL);
        for (KeysetStream stream : streams) {
            KeysetStream.Picked last = null;
            while (true) {
                if (stopSignal.isStopRequested()) {
                    return RunOutcome.STOPPED;
                }
                if (outOfTime()) {
                    return RunOutcome.OUT_OF_TIME;
                }
                long began = System.nanoTime();
                List<KeysetStream.Picked> picked = stream.next(connection, last, limit);
                if (picked.isEmpty()) {
                    connection.commit();
                    break;
                }
                long timed = delete(picked);
                last = picked.get(picked.size() - 1);
                pacer.afterBatch(connection, Duration.ofNanos(System.nanoTime() - began), timed, 0);
                if (!clock.instant().isBefore(nextProgressLog)) {
                    LOG.info("Purge {} run {} in progress: {} rows in {} batches so far, {} skipped, walking the rows"
                            + " {}", target.job(), progress.runId(), progress.rows(), progress.batches(),
                            progress.skipped().total(), stream.label());
                    nextProgressLog = clock.instant().plus(PROGRESS_INTERVAL);
                }
            }
        }
        rowDeleter.retrySkipped();
        return RunOutcome.COMPLETED;
    }

    /**
     * Deletes the picked rows that are still doomed, in the transaction that picked them. Fewer deleted than picked:
     * the rest were changed by the auth service (and are no longer doomed, or moved and are picked again), or kept
     * without an error by a trigger or a rule, which is reported. Returns the rows the batch's one statement
     * deleted, 0 when it went row by row (nothing the pacer can time).
     */
    private long delete(List<KeysetStream.Picked> picked) throws SQLException, RunFailedException,
            InterruptedException {
        List<Tid> tids = picked.stream().map(KeysetStream.Picked::tid).toList();
        long[] committed = new long[1];
        try {
            progress.commit(connection, () -> {
                long deleted = statements.deleteRows(connection, tids);
                committed[0] = deleted;
                guard.check(connection);
                if (deleted < tids.size()) {
                    for (PurgeStatements.Row row : statements.stillDoomed(connection, tids)) {
                        rowDeleter.skip(row, RowDeleter.KEPT_SILENTLY);
                    }
                }
                progress.deleted(deleted);
                pacer.beforeCommit(connection);
            });
            return committed[0];
        } catch (SQLException e) {
            DeleteFailure failure = rowDeleter.failure(e);
            LOG.debug("Purge {}: a batch of {} rows failed ({}); going row by row", target.job(), tids.size(),
                    failure.reason());
            if (failure.kind() == DeleteFailure.Kind.TOO_LARGE) {
                limit = Math.max(1, limit / 2);
            }
            for (KeysetStream.Picked row : picked) {
                if (mustStop()) {
                    return 0;
                }
                rowDeleter.deleteRow(row.row(), RowDeleter.ROW_ATTEMPTS, null);
            }
            return 0;
        }
    }

    /** Every run makes at least one batch of progress before maxRunTime can stop it. */
    private boolean outOfTime() {
        return progress.batches() > 0 && clock.instant().isAfter(deadline);
    }

    private boolean mustStop() {
        return stopSignal.isStopRequested() || outOfTime();
    }
}
