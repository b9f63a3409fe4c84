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
    /** The rows the last batch deleted in its one statement, 0 when it went row by row: what the pacer times. */
    private long timedRows;
    /** The last batch was rolled back for statement_timeout and is to be tried again, smaller. */
    private boolean repeat;

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
            KeysetStream.Position after = null;
            while (true) {
                if (stopSignal.isStopRequested()) {
                    return RunOutcome.STOPPED;
                }
                if (outOfTime()) {
                    return RunOutcome.OUT_OF_TIME;
                }
                long began = System.nanoTime();
                KeysetStream.Position last = batch(stream, after);
                if (repeat) {
                    repeat = false;
                    continue;
                }
                if (last == null && mustStop()) {
                    return stopSignal.isStopRequested() ? RunOutcome.STOPPED : RunOutcome.OUT_OF_TIME;
                }
                if (last == null) {
                    break;
                }
                after = last;
                pacer.afterBatch(connection, Duration.ofNanos(System.nanoTime() - began), timedRows, 0);
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
     * One batch of the stream after {@code after}: picks and deletes in one statement, committed with the run's
     * progress. Fewer deleted than picked: the rest were changed by the auth service (no longer doomed, or moved
     * and picked again later), or kept without an error by a trigger or a rule, which is reported. A batch that
     * fails goes row by row. Returns where the next batch starts, null when the stream has no doomed rows left.
     */
    private KeysetStream.Position batch(KeysetStream stream, KeysetStream.Position after)
            throws SQLException, RunFailedException, InterruptedException {
        KeysetStream.Batch[] result = new KeysetStream.Batch[1];
        timedRows = 0;
        try {
            progress.commit(connection, () -> {
                result[0] = stream.deleteNext(connection, after, limit);
                if (result[0].picked() == 0) {
                    return;
                }
                guard.check(connection);
                if (result[0].deleted() < result[0].picked()) {
                    for (PurgeStatements.Row row : stream.keptBy(connection, after, result[0].last())) {
                        rowDeleter.skip(row, RowDeleter.KEPT_SILENTLY);
                    }
                }
                progress.deleted(result[0].deleted());
                pacer.beforeCommit(connection);
            });
            timedRows = result[0].deleted();
            return result[0].last();
        } catch (SQLException e) {
            DeleteFailure failure = rowDeleter.failure(e);
            if (failure.kind() == DeleteFailure.Kind.TOO_LARGE && limit > 1) {
                // Too slow for statement_timeout (an index full of dead entries, cold pages): the same batch again,
                // half as large, before anything goes row by row.
                limit = Math.max(1, limit / 2);
                LOG.debug("Purge {}: a batch hit statement_timeout; {} rows a batch from now on", target.job(), limit);
                repeat = true;
                return after;
            }
            List<KeysetStream.Picked> picked = stream.next(connection, after, limit);
            connection.commit();
            LOG.debug("Purge {}: a batch of {} rows failed ({}); going row by row", target.job(), picked.size(),
                    failure.reason());
            for (KeysetStream.Picked row : picked) {
                if (mustStop()) {
                    return null;
                }
                rowDeleter.deleteRow(row.row(), RowDeleter.ROW_ATTEMPTS, null);
            }
            return picked.isEmpty() ? null : picked.get(picked.size() - 1).position();
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
