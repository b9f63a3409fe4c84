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

    /**
     * Where one stream's walk is: by key range from {@code from} on (null: from its first key), or, inside a key
     * shared by more rows than a batch holds, by position after {@code after}.
     */
    private static final class Walk {
        /** The table's rows go by position from the first (see {@link KeysetStream#byRange}). */
        private final boolean positionOnly;
        private String from;
        /** What lies ahead of {@code from}, when the last statement read it; null: to be read. */
        private KeysetStream.Bound bound;
        private KeysetStream.Position after;
        private String tiedKey;
        private boolean done;

        Walk(boolean positionOnly) {
            this.positionOnly = positionOnly;
        }

        boolean byPosition() {
            return positionOnly || after != null;
        }

        /** The rows of {@code key} (and beyond) go by position from the first. */
        void byPosition(String key) {
            after = new KeysetStream.Position(key, Tid.START);
            tiedKey = key;
            bound = null;
        }

        /** After a batch by position that ended at {@code last} (null: nothing was left). */
        void positionBatchEnded(KeysetStream.Position last) {
            if (last == null) {
                done = true;
            } else if (positionOnly || last.key().equals(tiedKey)) {
                after = last;
            } else {
                // Past the shared key: back to ranges, from the key it stopped in (its rows before the stop are gone).
                after = null;
                tiedKey = null;
                from = last.key();
                bound = null;
            }
        }
    }

    RunOutcome run() throws SQLException, RunFailedException, InterruptedException {
        connection.setAutoCommit(false);
        pacer.beforeFirstBatch(connection);
        Instant nextProgressLog = clock.instant().plus(PROGRESS_INTERVAL);
        for (KeysetStream stream : streams) {
            Walk walk = new Walk(!stream.byRange());
            while (!walk.done) {
                if (stopSignal.isStopRequested()) {
                    return RunOutcome.STOPPED;
                }
                if (outOfTime()) {
                    return RunOutcome.OUT_OF_TIME;
                }
                long began = System.nanoTime();
                timedRows = 0;
                boolean moved = walk.byPosition() ? positionBatch(stream, walk) : rangeBatch(stream, walk);
                if (repeat) {
                    repeat = false;
                    continue;
                }
                if (walk.done && mustStop()) {
                    return stopSignal.isStopRequested() ? RunOutcome.STOPPED : RunOutcome.OUT_OF_TIME;
                }
                if (!moved) {
                    continue;
                }
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
     * One batch by key range: the doomed rows of [first key, last key) of the bound, deleted in one statement that
     * also reads the next range's bound, committed with the run's progress. Fewer deleted than the range held: the
     * rest were changed by the auth service, or kept without an error by a trigger or a rule, which is reported. A
     * range that holds more than batch.size rows when it is to be deleted (it gained doomed rows since it was
     * bounded) is not deleted, and goes by position; a failed one goes row by row. Returns whether rows were
     * deleted (a batch to pause after).
     */
    private boolean rangeBatch(KeysetStream stream, Walk walk)
            throws SQLException, RunFailedException, InterruptedException {
        KeysetStream.Bound bound = walk.bound;
        KeysetStream.RangeBatch[] result = new KeysetStream.RangeBatch[1];
        try {
            if (bound == null) {
                try {
                    bound = stream.bound(connection, walk.from, limit);
                } catch (SQLException e) {
                    // Read on its own, outside progress.commit: nothing else ends the transaction it aborted.
                    Transactions.rollbackQuietly(connection);
                    throw e;
                }
            }
            if (bound.none()) {
                connection.commit();
                walk.done = true;
                return false;
            }
            if (bound.tied()) {
                walk.byPosition(bound.first());
                return false;
            }
            KeysetStream.Bound range = bound;
            progress.commit(connection, () -> {
                boolean[] mayKeepSilently = new boolean[1];
                result[0] = stream.deleteRange(connection, range, limit, guard, mayKeepSilently);
                if (result[0].grown(limit) || result[0].deleted() > limit) {
                    throw new RunProgress.NotCommitted();
                }
                if (result[0].deleted() < result[0].held() || mayKeepSilently[0]) {
                    for (PurgeStatements.Row row : stream.keptInRange(connection, range)) {
                        rowDeleter.skip(row, RowDeleter.KEPT_SILENTLY);
                    }
                }
                progress.deleted(result[0].deleted());
                pacer.beforeCommit(connection);
            });
        } catch (RunProgress.NotCommitted e) {
            LOG.debug("Purge {}: the range from {} gained rows since it was bounded, more than batch.size {}: done"
                    + " by position", target.job(), bound.first(), limit);
            walk.byPosition(bound.first());
            return false;
        } catch (SQLException e) {
            DeleteFailure failure = rowDeleter.failure(e);
            if (failure.kind() == DeleteFailure.Kind.TOO_LARGE && limit > 1) {
                halveLimit();
                walk.bound = null;
                return false;
            }
            String first = bound == null ? walk.from : bound.first();
            walk.tiedKey = first;
            walk.positionBatchEnded(rowByRow(stream, first == null ? null : new KeysetStream.Position(first,
                    Tid.START), failure));
            return true;
        }
        timedRows = result[0].deleted();
        walk.from = bound.last();
        walk.bound = result[0].next();
        walk.done = bound.tail();
        return true;
    }

    /**
     * One batch by position, inside a key shared by many rows: picks the next rows in (key, ctid) order and deletes
     * them in one statement, committed with the run's progress; rows kept without an error are reported. A batch
     * that fails goes row by row. Returns whether a batch was done.
     */
    private boolean positionBatch(KeysetStream stream, Walk walk)
            throws SQLException, RunFailedException, InterruptedException {
        KeysetStream.Position after = walk.after;
        KeysetStream.Batch[] result = new KeysetStream.Batch[1];
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
        } catch (SQLException e) {
            DeleteFailure failure = rowDeleter.failure(e);
            if (failure.kind() == DeleteFailure.Kind.TOO_LARGE && limit > 1) {
                halveLimit();
                return false;
            }
            walk.positionBatchEnded(rowByRow(stream, after, failure));
            return true;
        }
        timedRows = result[0].deleted();
        walk.positionBatchEnded(result[0].last());
        return result[0].last() != null;
    }

    /** Too slow for statement_timeout (cold pages, a key with many rows): the same batch again, half as large. */
    private void halveLimit() {
        limit = Math.max(1, limit / 2);
        LOG.debug("Purge {}: a batch hit statement_timeout; {} rows a batch from now on", target.job(), limit);
        repeat = true;
    }

    /** The next rows after {@code after} (null: from the first), one at a time; where it stopped (null: none). */
    private KeysetStream.Position rowByRow(KeysetStream stream, KeysetStream.Position after, DeleteFailure failure)
            throws SQLException, RunFailedException, InterruptedException {
        List<KeysetStream.Picked> picked = stream.next(connection, after, limit);
        connection.commit();
        LOG.debug("Purge {}: a batch of {} rows failed ({}); going row by row", target.job(), picked.size(),
                failure.reason());
        for (KeysetStream.Picked row : picked) {
            if (mustStop()) {
                break;
            }
            rowDeleter.deleteRow(row.row(), RowDeleter.ROW_ATTEMPTS, null);
        }
        return picked.isEmpty() ? null : picked.get(picked.size() - 1).position();
    }

    /** Every run makes at least one batch of progress before maxRunTime can stop it. */
    private boolean outOfTime() {
        return progress.batches() > 0 && clock.instant().isAfter(deadline);
    }

    private boolean mustStop() {
        return stopSignal.isStopRequested() || outOfTime();
    }
}
