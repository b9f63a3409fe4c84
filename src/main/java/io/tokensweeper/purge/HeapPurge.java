package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.Pacer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's lap over the table's heap (a TID range scan, PostgreSQL 14+): from where the last run stopped
 * to the end, then from the start back to there, in pieces of blocks, each piece's doomed rows deleted by
 * {@link RangeDeleter}. Nothing is read twice, no ids are held beyond one statement's, and the run stops
 * between pieces on shutdown or at its maximum run time. At the end it comes back once to the rows it
 * had to skip.
 */
final class HeapPurge {
    private static final Logger LOG = LoggerFactory.getLogger(HeapPurge.class);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);
    private static final long SAMPLE_BLOCKS = 32;
    static final long PIECE_STATEMENTS = 8;

    private final FencedSession session;
    private final PurgeTarget target;
    private final RunHistory history;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final Clock clock;
    private final PurgeStatements statements;
    private final DataSource dataSource;
    private boolean resume = true;

    HeapPurge(DataSource dataSource, FencedSession session, PurgeTarget target, PurgeStatements statements,
              RunHistory history, BatchSettings batch, StopSignal stopSignal, Clock clock) {
        this.dataSource = dataSource;
        this.statements = statements;
        this.session = session;
        this.target = target;
        this.history = history;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.clock = clock;
    }

    /**
     * Walks from the first block instead of where the job's last heap walk stopped: for a leaf partition, whose
     * position is not kept (the history has one position per job).
     */
    HeapPurge fromTheStart() {
        resume = false;
        return this;
    }

    RunOutcome run(RunProgress progress, Instant started)
            throws SQLException, RunFailedException, InterruptedException {
        Connection connection = session.connection();
        connection.setAutoCommit(false);
        long tableOid = session.tableOid();
        Lap lap = new Lap(resume ? history.resumePosition(connection, target.job()).orElse(Tid.START) : Tid.START,
                TableFacts.blocks(connection, tableOid));
        PurgeStatements.Density sample = statements.sample(connection, lap.origin(), SAMPLE_BLOCKS);
        // Aimed below the row limit: a statement that hits it leaves a small remainder statement behind.
        BatchSizer sizer = new BatchSizer(Math.max(1, batch.size() * 3 / 4), sample.doomedPerBlock());
        OptimisticBound bound = OptimisticBound.of(batch.size(),
                Math.max(sample.rowsPerBlock(), TableFacts.rowsPerBlock(connection, tableOid)));
        connection.commit();
        progress.startLap(lap);
        if (lap.origin().compareTo(Tid.START) > 0) {
            LOG.info("Purge {} run {} continues where the last run stopped, at block {} of {}", target.job(),
                    progress.runId(), lap.origin().block(), lap.tableBlocks());
        }
        Instant deadline = started.plus(batch.maxRunTime());
        // The deadline counts only once the run has moved the position on, so that every run, however short
        // its maxRunTime, makes progress. Checked between pieces here, and between statements and single rows
        // (a piece that goes row by row may take far longer than maxRunTime) by the deleter.
        BooleanSupplier outOfTime = () -> lap.hasMoved() && clock.instant().isAfter(deadline);
        BooleanSupplier mustStop = () -> stopSignal.isStopRequested() || outOfTime.getAsBoolean();
        Pacer pacer = new Pacer(batch.pacing(), batch.pause(), batch.size(), "Purge " + target.job() + " run "
                + progress.runId(), stopSignal::pause, mustStop, progress::paused);
        RangeDeleter deleter = new RangeDeleter(connection, target, tableOid, statements, progress, sizer, bound, batch,
                stopSignal, mustStop, pacer);
        if (batch.workers() > 1) {
            boolean finished = new ParallelHeapWalk(dataSource, session, target, statements, progress, batch,
                    stopSignal, bound, sample.doomedPerBlock(), lap, outOfTime).walk();
            if (!finished) {
                return stopSignal.isStopRequested() ? RunOutcome.STOPPED : RunOutcome.OUT_OF_TIME;
            }
            deleter.retrySkipped();
            return RunOutcome.COMPLETED;
        }
        Instant nextProgressLog = started.plus(PROGRESS_INTERVAL);
        while (true) {
            if (lap.atLegEnd()) {
                if (lap.needsEndRecheck()) {
                    lap.endRechecked(TableFacts.blocks(connection, tableOid));
                    connection.commit();
                    continue;
                }
                if (!lap.canWrap()) {
                    break;
                }
                lap.wrap();
                continue;
            }
            if (stopSignal.isStopRequested()) {
                return RunOutcome.STOPPED;
            }
            if (outOfTime.getAsBoolean()) {
                return RunOutcome.OUT_OF_TIME;
            }
            // Each statement within the piece is sized by the sizer; the piece only paces the checks here.
            deleter.drain(lap.position(), lap.pieceEnd(sizer.blocks() * PIECE_STATEMENTS));
            if (!clock.instant().isBefore(nextProgressLog)) {
                LOG.info("Purge {} run {} in progress: {} rows in {} batches so far, {} skipped, {}% of the table"
                                + " walked", target.job(), progress.runId(), progress.rows(), progress.batches(),
                        progress.skipped().total(), lap.percentDone());
                nextProgressLog = clock.instant().plus(PROGRESS_INTERVAL);
            }
        }
        deleter.retrySkipped();
        return RunOutcome.COMPLETED;
    }
}
