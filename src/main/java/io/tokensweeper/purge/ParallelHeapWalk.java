package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.Pacer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * The heap walk with {@code batch.workers} sessions at once: a single DELETE uses one backend, a database server
 * usually has more cores. The lap is handed out in pieces, in order, to whichever worker is free; each worker
 * deletes its piece with its own {@link RangeDeleter} on its own connection ({@link RunWorkers}), under every rule
 * of a serial run: bounded statements, rows gone around and reported, each batch's counts committed with it.
 * The position a stopped run leaves is where the pieces handed out end; the next run reaches any piece a worker
 * left unfinished when it wraps around.
 */
final class ParallelHeapWalk {
    private final FencedSession session;
    private final PurgeTarget target;
    private final PurgeStatements statements;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final OptimisticBound bound;
    private final double doomedPerBlock;
    private final Lap lap;
    private final BooleanSupplier outOfTime;
    private final RunWorkers workers;
    /** Some worker has committed a statement: from then on maxRunTime may stop the run. */
    private final AtomicBoolean progressed = new AtomicBoolean();
    /** Every piece of the lap was handed out and the lap's end looked at again. */
    private boolean handedOut;

    ParallelHeapWalk(DataSource dataSource, FencedSession session, PurgeTarget target, PurgeStatements statements,
                     RunProgress progress, BatchSettings batch, StopSignal stopSignal, OptimisticBound bound,
                     double doomedPerBlock, Lap lap, BooleanSupplier outOfTime) {
        this.session = session;
        this.target = target;
        this.statements = statements;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.bound = bound;
        this.doomedPerBlock = doomedPerBlock;
        this.lap = lap;
        this.outOfTime = outOfTime;
        this.workers = new RunWorkers(dataSource, session, target, progress, batch);
    }

    /**
     * Walks the lap with every worker; the run's progress holds all their counts when it returns. True when the
     * whole lap was walked, false when the run was stopped or ran out of time.
     */
    boolean walk() throws SQLException, RunFailedException, InterruptedException {
        workers.run(this::work);
        return finished();
    }

    /** Each worker paces itself, its lock waiters being its session's, and keeps to its share of a WAL budget. */
    private void work(int worker, Connection connection, RunProgress share) throws SQLException, RunFailedException,
            InterruptedException {
        // maxRunTime counts once this run has committed something, as in a serial run.
        BooleanSupplier mustStop = () -> {
            if (share.batches() > 0) {
                progressed.set(true);
            }
            return mustStop();
        };
        BatchSizer sizer = new BatchSizer(Math.max(1, batch.size() * 3 / 4), doomedPerBlock);
        Pacer pacer = new Pacer(batch.pacing().shareOf(batch.workers()), batch.pause(), batch.size(), "Purge "
                + target.job() + " run " + share.runId() + " worker " + worker, stopSignal::pause, mustStop,
                share::paused);
        RangeDeleter deleter = new RangeDeleter(connection, target, session.tableOid(), statements, share, sizer,
                bound, batch, stopSignal, mustStop, pacer);
        while (!mustStop.getAsBoolean()) {
            Tid[] piece = nextPiece(connection, sizer.blocks() * HeapPurge.PIECE_STATEMENTS);
            if (piece == null) {
                break;
            }
            share.startLap(new Lap(piece[0], piece[1].block() + 1));
            deleter.drain(piece[0], piece[1]);
        }
    }

    /** The next piece of the lap, [from, to), or null when the lap is handed out. */
    private synchronized Tid[] nextPiece(Connection connection, long blocks) throws SQLException {
        while (true) {
            if (lap.atLegEnd()) {
                if (lap.needsEndRecheck()) {
                    lap.endRechecked(TableFacts.blocks(connection, session.tableOid()));
                    connection.commit();
                    continue;
                }
                if (!lap.canWrap()) {
                    handedOut = true;
                    return null;
                }
                lap.wrap();
                continue;
            }
            Tid from = lap.position();
            Tid to = lap.pieceEnd(blocks);
            lap.advanceTo(to);
            return new Tid[] {from, to};
        }
    }

    /** Handed out, and no worker stopped early: a worker stops between statements only when it must. */
    private synchronized boolean finished() {
        return handedOut && !stopSignal.isStopRequested() && !outOfTime();
    }

    private synchronized boolean outOfTime() {
        return progressed.get() && outOfTime.getAsBoolean();
    }

    private boolean mustStop() {
        return workers.failed() || stopSignal.isStopRequested() || outOfTime();
    }
}
