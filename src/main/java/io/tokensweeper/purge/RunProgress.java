package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * A run's counts and position, written to its history row in the same transaction as each batch's
 * DELETE: whatever becomes of the node, the history says exactly what was deleted and where the next
 * run continues. Java's copy changes only once the transaction has committed.
 */
final class RunProgress {
    /** The work of one transaction; it may change the progress, which is undone if the commit fails. */
    interface Work {
        void run() throws SQLException;
    }

    /** Thrown by a {@link Work} whose statement must not be committed: everything is rolled back, nothing failed. */
    static final class NotCommitted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotCommitted() {
            super(null, null, false, false);
        }
    }

    private final RunHistory history;
    private final long runId;
    /** One worker's share of a run with parallel workers: its batches write increments, not totals. */
    private final boolean workerShare;
    private Lap lap;
    private long rows;
    private int batches;
    private SkippedRows skipped = new SkippedRows();
    private PurgeMethod method;
    private Duration paused = Duration.ZERO;

    RunProgress(RunHistory history, long runId) {
        this(history, runId, false);
    }

    private RunProgress(RunHistory history, long runId, boolean workerShare) {
        this.history = history;
        this.runId = runId;
        this.workerShare = workerShare;
    }

    /** The progress of one parallel worker of this run. */
    RunProgress workerShare() {
        return new RunProgress(history, runId, true);
    }

    /** Adds a finished worker's counts and skipped rows; the caller writes the totals. */
    void absorb(RunProgress worker) {
        rows += worker.rows;
        batches += worker.batches;
        skipped.absorb(worker.skipped);
        paused = paused.plus(worker.paused);
    }

    long runId() {
        return runId;
    }

    void startLap(Lap newLap) {
        this.lap = newLap;
    }

    Lap lap() {
        return lap;
    }

    /** How the run finds its rows; null for a dry run. */
    PurgeMethod method() {
        return method;
    }

    void method(PurgeMethod chosen) {
        this.method = chosen;
    }

    long rows() {
        return rows;
    }

    int batches() {
        return batches;
    }

    SkippedRows skipped() {
        return skipped;
    }

    /** Time spent pausing between batches (batch.pause and pacing); for the run's result, not its history. */
    Duration paused() {
        return paused;
    }

    void paused(Duration more) {
        paused = paused.plus(more);
    }

    void deleted(long count) {
        rows += count;
        batches++;
    }

    /**
     * Runs the work, writes the progress it made and commits both together. On failure everything is
     * rolled back, in the database and here, and the exception goes to the caller.
     */
    void commit(Connection connection, Work work) throws SQLException {
        long rowsBefore = rows;
        int batchesBefore = batches;
        SkippedRows skippedBefore = skipped.copy();
        Tid positionBefore = lap == null ? null : lap.position();
        try {
            work.run();
            if (workerShare) {
                history.addProgress(connection, runId, rows - rowsBefore, batches - batchesBefore,
                        skipped.total() - skippedBefore.total());
            } else {
                history.recordProgress(connection, runId, this);
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            Transactions.rollbackQuietly(connection);
            rows = rowsBefore;
            batches = batchesBefore;
            skipped = skippedBefore;
            if (lap != null) {
                lap.advanceTo(positionBefore);
            }
            throw e;
        }
    }
}
