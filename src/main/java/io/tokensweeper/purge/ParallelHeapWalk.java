package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.Pacer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heap walk with {@code batch.workers} sessions at once: a single DELETE uses one backend, a database server
 * usually has more cores. The lap is handed out in pieces, in order, to whichever worker is free; each worker
 * deletes its piece with its own {@link RangeDeleter} on its own connection (the run's fenced session is one of
 * them), under every rule of a serial run: bounded statements, rows gone around and reported, each batch's counts
 * committed with it (as increments, so the history is exact whatever fails). The first failure stops every worker.
 * The position a stopped run leaves is where the pieces handed out end; the next run reaches any piece a worker
 * left unfinished when it wraps around.
 */
final class ParallelHeapWalk {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelHeapWalk.class);

    private final DataSource dataSource;
    private final FencedSession session;
    private final PurgeTarget target;
    private final PurgeStatements statements;
    private final RunProgress progress;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final OptimisticBound bound;
    private final double doomedPerBlock;
    private final Lap lap;
    private final BooleanSupplier outOfTime;
    private final AtomicBoolean failed = new AtomicBoolean();
    /** Some worker has committed a statement: from then on maxRunTime may stop the run. */
    private final AtomicBoolean progressed = new AtomicBoolean();
    /** Every piece of the lap was handed out and the lap's end looked at again. */
    private boolean handedOut;

    ParallelHeapWalk(DataSource dataSource, FencedSession session, PurgeTarget target, PurgeStatements statements,
                     RunProgress progress, BatchSettings batch, StopSignal stopSignal, OptimisticBound bound,
                     double doomedPerBlock, Lap lap, BooleanSupplier outOfTime) {
        this.dataSource = dataSource;
        this.session = session;
        this.target = target;
        this.statements = statements;
        this.progress = progress;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.bound = bound;
        this.doomedPerBlock = doomedPerBlock;
        this.lap = lap;
        this.outOfTime = outOfTime;
    }

    /**
     * Walks the lap with every worker; the run's progress holds all their counts when it returns. True when the
     * whole lap was walked, false when the run was stopped or ran out of time.
     */
    boolean walk() throws SQLException, RunFailedException, InterruptedException {
        AtomicInteger number = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(batch.workers(),
                runnable -> new Thread(runnable, "purge-" + target.job().id() + "-worker-" + number.incrementAndGet()));
        List<Future<RunProgress>> workers = new ArrayList<>();
        // A worker's share holds only what it committed: it counts whether the worker finished or failed.
        List<RunProgress> shares = new ArrayList<>();
        boolean returning = false;
        try {
            for (int i = 0; i < batch.workers(); i++) {
                int worker = i + 1;
                RunProgress share = progress.workerShare();
                shares.add(share);
                workers.add(threads.submit(() -> work(worker, share)));
            }
            Throwable first = null;
            for (Future<RunProgress> worker : workers) {
                try {
                    worker.get();
                } catch (ExecutionException e) {
                    failed.set(true);
                    first = first == null ? e.getCause() : first;
                }
            }
            shares.forEach(progress::absorb);
            // The totals, the skipped rows' report and the position, on the fenced session.
            progress.commit(session.connection(), () -> { });
            if (first instanceof SQLException e) {
                throw e;
            }
            if (first instanceof RunFailedException e) {
                throw e;
            }
            if (first instanceof InterruptedException e) {
                throw e;
            }
            if (first != null) {
                throw new IllegalStateException("a purge worker failed: " + first, first);
            }
            boolean done = finished();
            returning = true;
            return done;
        } catch (InterruptedException e) {
            failed.set(true);
            throw e;
        } finally {
            failed.set(true);
            threads.shutdownNow();
            // No worker may go on past the run: the fenced session is about to be released.
            if (!threads.awaitTermination(batch.lockTimeout().plus(batch.statementTimeout()).toMillis(),
                    TimeUnit.MILLISECONDS)) {
                String stuck = "purge workers did not stop within lockTimeout + statementTimeout";
                LOG.error("Purge {} run {}: {}", target.job(), progress.runId(), stuck);
                // A failure already on its way out is the run's error; this one must not replace it.
                if (returning) {
                    throw new IllegalStateException(stuck);
                }
            }
        }
    }

    /** Worker 1 works on the fenced session; each worker paces itself, its lock waiters being its session's. */
    private RunProgress work(int worker, RunProgress share) throws Exception {
        boolean onFencedSession = worker == 1;
        // maxRunTime counts once this run has committed something, as in a serial run.
        BooleanSupplier mustStop = () -> {
            if (share.batches() > 0) {
                progressed.set(true);
            }
            return mustStop();
        };
        try (WorkerSession own = onFencedSession ? null : WorkerSession.open(dataSource, batch)) {
            Connection connection = onFencedSession ? session.connection() : own.connection();
            BatchSizer sizer = new BatchSizer(Math.max(1, batch.size() * 3 / 4), doomedPerBlock);
            // Each worker keeps to its share of a WAL budget.
            Pacer pacer = new Pacer(batch.pacing().shareOf(batch.workers()), batch.pause(), batch.size(), "Purge "
                    + target.job() + " run " + progress.runId() + " worker " + worker, stopSignal::pause, mustStop,
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
            return share;
        } catch (Exception e) {
            failed.set(true);
            throw e;
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
        return failed.get() || stopSignal.isStopRequested() || outOfTime();
    }
}
