package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index walk with {@code batch.workers} sessions at once: a single DELETE uses one backend, and on rows
 * scattered over the heap one session cannot write the WAL of the pages it touches faster than the single DELETE
 * does. Each part of the predicate is cut into as many key intervals as there are workers, at the keys of evenly
 * spaced doomed rows read from its index ({@link KeysetStream#splitKeys}); whichever worker is free walks the next
 * interval as a serial walk walks a part ({@link IndexPurge}), every one of its statements narrowed to the interval
 * ({@link KeysetStream#within}), so two workers never take rows of one part's same keys. A row doomed by two parts
 * (revoked and expired) may be reached by two workers at once: the second waits for the first's commit and finds
 * it gone (their DELETEs take row locks in heap order, so they do not deadlock on each other's rows); if it is
 * skipped by both, it counts once.
 */
final class ParallelIndexWalk {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelIndexWalk.class);

    private final FencedSession session;
    private final PurgeTarget target;
    private final List<KeysetStream> streams;
    private final PurgeStatements statements;
    private final RunProgress progress;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final Clock clock;
    private final Instant started;
    private final RunWorkers workers;

    ParallelIndexWalk(DataSource dataSource, FencedSession session, PurgeTarget target, List<KeysetStream> streams,
                      PurgeStatements statements, RunProgress progress, BatchSettings batch, StopSignal stopSignal,
                      Clock clock, Instant started) {
        this.session = session;
        this.target = target;
        this.streams = streams;
        this.statements = statements;
        this.progress = progress;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.clock = clock;
        this.started = started;
        this.workers = new RunWorkers(dataSource, session, target, progress, batch);
    }

    RunOutcome walk() throws SQLException, RunFailedException, InterruptedException {
        ConcurrentLinkedQueue<KeysetStream> intervals = new ConcurrentLinkedQueue<>(intervals());
        LOG.info("Purge {} run {}: {} workers walk {} key intervals", target.job(), progress.runId(),
                batch.workers(), intervals.size());
        BatchSettings share = batch.withPacing(batch.pacing().shareOf(batch.workers()));
        AtomicBoolean stoppedEarly = new AtomicBoolean();
        workers.run((worker, connection, own) -> {
            RunOutcome outcome = new IndexPurge(connection, session.tableOid(), target, intervals::poll, statements,
                    own, share, "Purge " + target.job() + " run " + progress.runId() + " worker " + worker,
                    stopSignal, clock, started, workers::failed).run();
            if (outcome != RunOutcome.COMPLETED) {
                stoppedEarly.set(true);
            }
        });
        if (!stoppedEarly.get()) {
            return RunOutcome.COMPLETED;
        }
        return stopSignal.isStopRequested() ? RunOutcome.STOPPED : RunOutcome.OUT_OF_TIME;
    }

    /**
     * Each part's key intervals, in the parts' order, read on the fenced session. A part that cannot be cut (the
     * statement timed out on a very large part) is walked whole by one worker, with a WARN.
     */
    private List<KeysetStream> intervals() throws SQLException {
        Connection connection = session.connection();
        connection.setAutoCommit(false);
        List<KeysetStream> intervals = new ArrayList<>();
        for (KeysetStream stream : streams) {
            List<String> keys;
            try {
                keys = stream.splitKeys(connection, batch.workers());
                connection.commit();
            } catch (SQLException e) {
                Transactions.rollbackQuietly(connection);
                LOG.warn("Purge {} run {}: could not cut the rows {} into key intervals ({}); one worker walks them",
                        target.job(), progress.runId(), stream.label(), e.getMessage());
                keys = List.of();
            }
            String from = null;
            for (String key : keys) {
                intervals.add(stream.within(from, key));
                from = key;
            }
            intervals.add(stream.within(from, null));
        }
        return intervals;
    }
}
