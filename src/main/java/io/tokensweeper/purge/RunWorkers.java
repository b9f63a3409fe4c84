package io.tokensweeper.purge;

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
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's {@code batch.workers} sessions at once, for the heap walk ({@link ParallelHeapWalk}) and the index walk
 * ({@link ParallelIndexWalk}): worker 1 works on the run's fenced session, each other one on a session of its own
 * ({@link WorkerSession}). Each counts into its own share of the run's progress (committed with each batch as
 * increments, so the history is exact whatever fails), added to the run's once all have ended, the totals then
 * committed on the fenced session. The first failure stops the others ({@link #failed}) and is the run's error.
 */
final class RunWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(RunWorkers.class);

    /** One worker's work, on its connection, counting into its share. */
    @FunctionalInterface
    interface Work {
        void run(int worker, Connection connection, RunProgress share) throws Exception;
    }

    private final DataSource dataSource;
    private final FencedSession session;
    private final PurgeTarget target;
    private final RunProgress progress;
    private final BatchSettings batch;
    private final AtomicBoolean failed = new AtomicBoolean();

    RunWorkers(DataSource dataSource, FencedSession session, PurgeTarget target, RunProgress progress,
               BatchSettings batch) {
        this.dataSource = dataSource;
        this.session = session;
        this.target = target;
        this.progress = progress;
        this.batch = batch;
    }

    /** Some worker failed, or the run is ending: every worker stops between statements. */
    boolean failed() {
        return failed.get();
    }

    /** Runs the work on every worker and returns when all have ended; the run's progress then holds their counts. */
    void run(Work work) throws SQLException, RunFailedException, InterruptedException {
        AtomicInteger number = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(batch.workers(),
                runnable -> new Thread(runnable, "purge-" + target.job().id() + "-worker-" + number.incrementAndGet()));
        List<Future<?>> workers = new ArrayList<>();
        // A worker's share holds only what it committed: it counts whether the worker finished or failed.
        List<RunProgress> shares = new ArrayList<>();
        boolean returning = false;
        try {
            for (int i = 0; i < batch.workers(); i++) {
                int worker = i + 1;
                RunProgress share = progress.workerShare();
                shares.add(share);
                workers.add(threads.submit(() -> {
                    work(worker, share, work);
                    return null;
                }));
            }
            Throwable first = null;
            for (Future<?> worker : workers) {
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
            returning = true;
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

    private void work(int worker, RunProgress share, Work work) throws Exception {
        boolean onFencedSession = worker == 1;
        try (WorkerSession own = onFencedSession ? null : WorkerSession.open(dataSource, batch)) {
            work.run(worker, onFencedSession ? session.connection() : own.connection(), share);
        } catch (Exception e) {
            failed.set(true);
            throw e;
        }
    }
}
