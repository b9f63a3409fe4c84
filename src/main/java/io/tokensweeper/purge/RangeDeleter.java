package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.Pacer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the doomed rows of heap ranges on the run's session, each statement in its own transaction
 * together with the run's progress, never more than {@code batch.size} rows per statement. A statement
 * that fails because of particular rows is split in halves, down to one block and then to single rows;
 * rows that cannot be deleted are skipped and reported, and the rest of the range goes on.
 */
final class RangeDeleter {
    private static final Logger LOG = LoggerFactory.getLogger(RangeDeleter.class);
    private final Connection connection;
    private final PurgeTarget target;
    private final PurgeStatements statements;
    private final RunProgress progress;
    private final BatchSizer sizer;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    /** A stop was requested, or the run is out of time (once it has moved on): return between rows or statements. */
    private final BooleanSupplier mustStop;
    private final TableGuard guard;
    private final RowDeleter rowDeleter;
    private final OptimisticBound bound;
    /** The pause after each statement of a range: batch.pause, longer while the purge hurts the database. */
    private final Pacer pacer;
    /** The table has a BEFORE DELETE trigger or a DELETE rule: only checked statements see the rows they keep. */
    private boolean checkedOnly;
    /** The last optimistic statement overshot the row limit: the next one finds where the limit falls first. */
    private boolean checkNext;

    RangeDeleter(Connection connection, PurgeTarget target, long tableOid, PurgeStatements statements,
                 RunProgress progress, BatchSizer sizer, OptimisticBound bound, BatchSettings batch,
                 StopSignal stopSignal, BooleanSupplier mustStop, Pacer pacer) {
        this.connection = connection;
        this.target = target;
        this.statements = statements;
        this.progress = progress;
        this.sizer = sizer;
        this.bound = bound;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.mustStop = mustStop;
        this.guard = new TableGuard(target, tableOid);
        this.rowDeleter = new RowDeleter(connection, target, tableOid, statements, progress, batch, stopSignal,
                mustStop);
        this.pacer = pacer;
    }

    /**
     * Deletes every doomed row of [from, to) that can be deleted; the lap's position ends at {@code to}, or
     * earlier when the run must stop (a piece that goes row by row may take far longer than maxRunTime). Each
     * statement covers at most the sizer's current number of blocks: a statement over the whole rest of a
     * large piece would re-read (and re-sort) that rest once per batch when the piece turns out dense.
     */
    void drain(Tid from, Tid to) throws SQLException, RunFailedException, InterruptedException {
        pacer.beforeFirstBatch(connection);
        Tid position = from;
        while (position.compareTo(to) < 0) {
            if (mustStop.getAsBoolean()) {
                return;
            }
            Tid start = position;
            boolean oneScan = !checkedOnly && !checkNext;
            // A one-scan statement never covers more blocks than the bound: in a sparse stretch that means more,
            // smaller statements, each reading its blocks once, rather than a checked statement reading them twice.
            long blocks = oneScan ? Math.min(sizer.blocks(), bound.maxBlocks()) : sizer.blocks();
            Tid sized = Tid.blockStart(start.block() + blocks);
            Tid end = sized.compareTo(to) < 0 ? sized : to;
            PurgeStatements.RangeResult result;
            long began = System.nanoTime();
            try {
                if (!oneScan) {
                    checkNext = false;
                    result = deleteChecked(start, end);
                } else {
                    result = deleteOptimistically(start, end);
                    if (result == null) {
                        continue;
                    }
                }
            } catch (SQLException e) {
                DeleteFailure failure = rowDeleter.failure(e);
                if (failure.kind() == DeleteFailure.Kind.TOO_LARGE) {
                    sizer.tooLarge();
                }
                split(start, end, failure);
                position = progress.lap().position();
                continue;
            }
            position = progress.lap().position();
            sizer.measured(position.block() - start.block() + 1, result.doomed(), result.hitLimit());
            if (result.deleted() > 0) { // a statement that deleted nothing wrote nothing: no pause after it
                pacer.afterBatch(connection, Duration.ofNanos(System.nanoTime() - began), result.deleted(),
                        position.block() - start.block() + 1);
            }
        }
    }

    /** The checked form: at most {@code batch.size} rows, and rows kept without an error are seen and reported. */
    private PurgeStatements.RangeResult deleteChecked(Tid start, Tid end) throws SQLException {
        PurgeStatements.RangeResult[] result = new PurgeStatements.RangeResult[1];
        progress.commit(connection, () -> {
            result[0] = statements.deleteRange(connection, start, end, batch.size());
            checkedOnly |= guard.check(connection);
            Tid next = result[0].hitLimit() ? result[0].stoppedAt() : end;
            if (result[0].deleted() < result[0].doomed()) {
                recordKeptSilently(start, next);
            }
            progress.deleted(result[0].deleted());
            progress.lap().advanceTo(next);
            pacer.beforeCommit(connection);
        });
        return result[0];
    }

    /**
     * The whole range in one scan ({@link OptimisticBound}); null when it was rolled back because it deleted more
     * than {@code batch.size} rows or the table may keep rows silently: the range is then done the checked way.
     */
    private PurgeStatements.RangeResult deleteOptimistically(Tid start, Tid end) throws SQLException {
        long[] deleted = new long[1];
        try {
            progress.commit(connection, () -> {
                boolean[] mayKeepSilently = new boolean[1];
                deleted[0] = statements.deleteAll(connection, start, end, guard, mayKeepSilently);
                if (mayKeepSilently[0]) {
                    checkedOnly = true;
                    throw new RunProgress.NotCommitted();
                }
                if (deleted[0] > batch.size()) {
                    checkNext = true;
                    throw new RunProgress.NotCommitted();
                }
                progress.deleted(deleted[0]);
                progress.lap().advanceTo(end);
                pacer.beforeCommit(connection);
            });
        } catch (RunProgress.NotCommitted e) {
            if (checkNext) {
                LOG.debug("Purge {}: {}..{} held {} doomed rows, more than batch.size {}: rolled back, done in"
                        + " bounded statements", target.job(), start, end, deleted[0], batch.size());
                sizer.measured(end.block() - start.block(), deleted[0], false);
            }
            return null;
        }
        return new PurgeStatements.RangeResult(deleted[0], deleted[0], null);
    }

    private void split(Tid from, Tid to, DeleteFailure failure)
            throws SQLException, RunFailedException, InterruptedException {
        long lastBlock = to.offset() > 0 ? to.block() : to.block() - 1;
        if (lastBlock > from.block()) {
            Tid middle = Tid.blockStart(from.block() + (lastBlock - from.block() + 1) / 2);
            LOG.debug("Purge {}: a statement over {}..{} failed ({}); splitting at {}", target.job(), from, to,
                    failure.reason(), middle);
            drain(from, middle);
            drain(middle, to);
            return;
        }
        rowByRow(from, to);
    }

    /** One block's doomed rows, each in its own transaction: a deferred constraint fails at its commit. */
    private void rowByRow(Tid from, Tid to) throws SQLException, RunFailedException, InterruptedException {
        List<PurgeStatements.Row> rows = statements.doomedRows(connection, from, to);
        connection.commit();
        for (PurgeStatements.Row row : rows) {
            if (mustStop.getAsBoolean()) {
                return;
            }
            rowDeleter.deleteRow(row, RowDeleter.ROW_ATTEMPTS, row.tid().next());
        }
        progress.commit(connection, () -> progress.lap().advanceTo(to));
    }

    /** Comes back once to the rows skipped so far in this run. */
    void retrySkipped() throws SQLException, RunFailedException, InterruptedException {
        rowDeleter.retrySkipped();
    }

    /**
     * After a statement deleted fewer rows than it picked, in its transaction: the doomed rows still in the part
     * of the range it picked from were gone past without an error (a BEFORE trigger returned NULL, a rule).
     * Rows the auth service changed meanwhile no longer qualify, or moved, and are not among them.
     */
    private void recordKeptSilently(Tid from, Tid to) throws SQLException {
        for (PurgeStatements.Row row : statements.doomedRows(connection, from, to)) {
            rowDeleter.skip(row, RowDeleter.KEPT_SILENTLY);
        }
    }

}
