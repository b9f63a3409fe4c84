package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one purge of a target: takes the table's fence, writes the run's history row, deletes in a lap of
 * bounded batches ({@link HeapPurge}) or counts for a dry run, records the end and only then lets go of
 * the fence. Every failure is logged once, recorded, and leaves the process running.
 */
public final class PurgeEngine {
    private static final Logger LOG = LoggerFactory.getLogger(PurgeEngine.class);
    private static final Duration FENCE_WAIT = Duration.ofSeconds(3);

    private final DataSource dataSource;
    private final RunHistory history;
    private final PartitionDropLog partitionDrops;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    private final Clock clock;
    /** Tests: what happens just before the run turns to a leaf partition (a detach, an attach, an insert). */
    private Consumer<Partitions.Leaf> beforePartition = leaf -> { };
    /** Tests: what happens between the check that a partition's every row is doomed and its DETACH. */
    private Consumer<Partitions.Leaf> beforeDetach = leaf -> { };

    PurgeEngine(DataSource dataSource, RunHistory history, PartitionDropLog partitionDrops, BatchSettings batch,
                StopSignal stopSignal, Clock clock) {
        this.dataSource = dataSource;
        this.history = history;
        this.partitionDrops = partitionDrops;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.clock = clock;
    }

    void beforePartition(Consumer<Partitions.Leaf> hook) {
        this.beforePartition = hook;
    }

    void beforeDetach(Consumer<Partitions.Leaf> hook) {
        this.beforeDetach = hook;
    }

    /**
     * Closes runs of the target left 'running' by a node that died or lost its database, if no purge of
     * the target is running now (the fence is free). Called at start, so they do not wait for the next run.
     */
    public int closeAbandonedRuns(PurgeTarget target, String nodeId) throws SQLException {
        try (FencedSession session = FencedSession.open(dataSource, target, batch, Duration.ZERO)) {
            return history.closeAbandoned(session.connection(), target.job(), -1, nodeId);
        } catch (FencedSession.FenceHeldException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** Whether a purge of the target is running anywhere in the cluster (its fence is held). */
    public boolean isRunning(PurgeTarget target) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return RunFence.isHeld(connection, TableFacts.oid(connection, target));
        }
    }

    public PurgeResult run(PurgeTarget target, PurgeRequest request, String nodeId) {
        Instant started = clock.instant();
        Ending ending;
        Long runId = null;
        RunProgress progress = null;
        try (FencedSession session = FencedSession.open(dataSource, target, batch, FENCE_WAIT)) {
            runId = history.start(session.connection(), target.job(), request, nodeId);
            progress = new RunProgress(history, runId);
            LOG.info("Purge {} run {} started: trigger {}, node {}{}", target.job(), runId, request.trigger().id(),
                    nodeId, request.dryRun() ? ", dry run" : "");
            closeAbandoned(session, target, runId, nodeId);
            ending = work(session, target, request, progress, started);
            try {
                finish(session.connection(), runId, ending);
                TableSpace.flushStatistics(session.connection());
            } catch (SQLException e) {
                LOG.debug("Purge {} run {}: could not record its end on its own session", target.job(), runId, e);
                finishOnAnotherConnection(target, runId, ending);
            }
        } catch (FencedSession.FenceHeldException e) {
            ending = Ending.failed(e.getMessage());
            runId = recordNotStarted(target, request, nodeId, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ending = Ending.interrupted("the run's thread was interrupted");
        } catch (SQLException | RuntimeException e) {
            ending = Ending.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            LOG.debug("Purge {} run {} failed", target.job(), runId, e);
            if (runId == null) {
                // It failed before its row was written (the table is gone, the session could not be set up).
                runId = recordNotStarted(target, request, nodeId, ending.error());
            } else {
                finishOnAnotherConnection(target, runId, ending);
            }
        }
        PurgeResult result = new PurgeResult(runId, target.job(), request.trigger(), ending.status(),
                request.dryRun(), progress == null ? 0 : progress.rows(), progress == null ? 0 : progress.batches(),
                progress == null ? 0 : progress.skipped().total(),
                progress == null ? List.of() : progress.skipped().groups(),
                Duration.between(started, clock.instant()), nodeId, ending.error(),
                progress == null ? null : progress.method(),
                progress == null ? Duration.ZERO : progress.paused());
        log(result);
        return result;
    }

    /** A run that must not start: the target no longer passes the checks it passed at start. Recorded as failed. */
    public PurgeResult refuse(PurgeTarget target, PurgeRequest request, String nodeId, String reason) {
        Long runId = recordNotStarted(target, request, nodeId, reason);
        PurgeResult result = new PurgeResult(runId, target.job(), request.trigger(), RunStatus.FAILED, request.dryRun(),
                0, 0, 0, List.of(), Duration.ZERO, nodeId, reason, null);
        log(result);
        return result;
    }

    private void closeAbandoned(FencedSession session, PurgeTarget target, long runId, String nodeId)
            throws SQLException {
        int abandoned = history.closeAbandoned(session.connection(), target.job(), runId, nodeId);
        if (abandoned > 0) {
            LOG.warn("Purge {}: closed {} earlier run(s) left 'running' by a node that stopped mid-run",
                    target.job(), abandoned);
        }
    }

    /** The run's own work; what goes wrong here still gets the run's end recorded, on the same session. */
    private Ending work(FencedSession session, PurgeTarget target, PurgeRequest request, RunProgress progress,
                        Instant started) {
        try {
            return request.dryRun() ? countDoomed(session, target, progress) : purge(session, target, progress, started);
        } catch (SQLException e) {
            LOG.debug("Purge {} run {} failed", target.job(), progress.runId(), e);
            return Ending.failed(e.getMessage() + tableLockHolder(session, e));
        } catch (RuntimeException e) {
            LOG.debug("Purge {} run {} failed", target.job(), progress.runId(), e);
            return Ending.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Ending.interrupted("the run's thread was interrupted; the rest is left for the next run");
        }
    }

    /** A lock timeout outside the batches (the run's first look at the table): who holds the table. */
    private static String tableLockHolder(FencedSession session, SQLException e) {
        if (!"55P03".equals(e.getSQLState())) {
            return "";
        }
        try {
            Transactions.rollbackQuietly(session.connection());
            return TableFacts.tableLockHolder(session.connection(), session.tableOid()).map(h -> " (" + h + ")")
                    .orElse("");
        } catch (SQLException lookup) {
            return "";
        }
    }

    private Ending countDoomed(FencedSession session, PurgeTarget target, RunProgress progress) throws SQLException {
        Connection connection = session.connection();
        if (!target.partitioned()) {
            long doomed = DryRunCount.count(connection, new PurgeStatements(target, "NULL"), session.tableOid(),
                    batch.size());
            history.recordDryRunCount(connection, progress.runId(), doomed);
            progress.deleted(doomed);
            return Ending.SUCCEEDED;
        }
        // The notes are not kept: a dry run's partitions are what it would do.
        pendingDrops(session, target).leaveUnfinished(connection, progress, "a dry run changes nothing");
        List<PartitionRun> partitions = new ArrayList<>();
        long total = 0;
        for (Partitions.Leaf leaf : leaves(session, target, progress)) {
            PurgeTarget leafTarget = target.withTable(leaf.schema(), leaf.table());
            long doomed;
            try {
                doomed = DryRunCount.count(connection, new PurgeStatements(leafTarget, "NULL"), leaf.oid(),
                        batch.size());
            } catch (SQLException e) {
                Transactions.rollbackQuietly(connection);
                if (Partitions.stillUnder(connection, leaf.oid(), session.tableOid())) {
                    throw e;
                }
                partitions.add(new PartitionRun(leaf.displayName(), 0, 0, 0, null, false, GONE));
                continue;
            }
            total += doomed;
            Optional<PartitionDrop.Verdict> verdict = target.dropDoomedPartitions()
                    ? new PartitionDrop(dataSource, target, session.tableOid(), batch, partitionDrops, beforeDetach)
                    .judge(connection, leaf) : Optional.empty();
            partitions.add(new PartitionRun(leaf.displayName(), doomed, 0, 0, null, verdict.isPresent(),
                    verdict.map(v -> "would be dropped whole: " + v.reason()).orElse(null)));
        }
        history.recordDryRunCount(connection, progress.runId(), total);
        history.recordPartitions(connection, progress.runId(), partitions);
        progress.deleted(total);
        return Ending.SUCCEEDED;
    }

    /** The note of a leaf detached or dropped during the run: not a failure, the leaf is no longer the target's. */
    private static final String GONE = "detached or dropped during the run; skipped";

    /** The leaf partitions of a partitioned target as the run starts; one attached later is the next run's. */
    private List<Partitions.Leaf> leaves(FencedSession session, PurgeTarget target, RunProgress progress)
            throws SQLException {
        Connection connection = session.connection();
        List<Partitions.Leaf> leaves = Partitions.leaves(connection, session.tableOid());
        Transactions.commit(connection);
        LOG.info("Purge {} run {}: {} is partitioned, {} leaf partition(s) to purge one after another", target.job(),
                progress.runId(), target.displayName(), leaves.size());
        return leaves;
    }

    private Ending purge(FencedSession session, PurgeTarget target, RunProgress progress, Instant started)
            throws SQLException, InterruptedException {
        try {
            RunOutcome outcome = target.partitioned() ? purgePartitions(session, target, progress, started)
                    : purgeTable(session, target, progress, started, true);
            return switch (outcome) {
                case COMPLETED -> progress.skipped().total() > 0 ? Ending.PARTIAL : Ending.SUCCEEDED;
                case STOPPED -> Ending.interrupted("the node is shutting down; the rest is left for the next run,"
                        + " which continues from here");
                case OUT_OF_TIME -> Ending.interrupted("reached the maximum run time " + batch.maxRunTime()
                        + "; the rest is left for the next run, which continues from here");
            };
        } catch (RunFailedException e) {
            LOG.debug("Purge {} run {} failed", target.job(), progress.runId(), e);
            return Ending.failed(e.getMessage());
        }
    }

    /**
     * One table's purge: an ordinary target, or one leaf partition of a partitioned one ({@code whole} false: the
     * method goes to the partition's report, not the run's, and the heap walk starts at the leaf's first block).
     */
    private RunOutcome purgeTable(FencedSession session, PurgeTarget target, RunProgress progress, Instant started,
                                  boolean whole) throws SQLException, InterruptedException, RunFailedException {
        Connection connection = session.connection();
        PurgeStatements statements = new PurgeStatements(target,
                TableFacts.keyExpression(connection, session.tableOid()));
        MethodChoice choice = new MethodChooser(connection, target, session.tableOid(), statements.keyExpression(),
                batch.size()).choose(batch.method());
        if (whole) {
            history.recordMethod(connection, progress.runId(), choice);
        }
        Transactions.commit(connection);
        progress.method(choice.method());
        LOG.info("Purge {} run {}: {}{} walk, {}", target.job(), progress.runId(),
                whole ? "" : target.displayName() + ": ", choice.method().id(), choice.reason());
        if (choice.method() == PurgeMethod.INDEX) {
            return new IndexPurge(session, target, choice.streams(), statements, progress, batch, stopSignal, clock,
                    started).run();
        }
        HeapPurge heap = new HeapPurge(dataSource, session, target, statements, history, batch, stopSignal, clock);
        return (whole ? heap : heap.fromTheStart()).run(progress, started);
    }

    /**
     * A partitioned target: the drops left unfinished by earlier runs, then its leaves ({@link #purgeLeaves}). What
     * could not be finished of those drops fails the run once the leaves are purged, and stays in its error whatever
     * else fails.
     */
    private RunOutcome purgePartitions(FencedSession session, PurgeTarget target, RunProgress progress,
                                       Instant started) throws SQLException, InterruptedException, RunFailedException {
        PendingPartitionDrops.Finished pending = finishPendingDrops(session, target, progress);
        RunOutcome outcome;
        String unfinished = String.join("; ", pending.failures());
        try {
            outcome = purgeLeaves(session, target, progress, started, pending);
        } catch (SQLException e) {
            throw unfinished.isEmpty() ? e : new SQLException(e.getMessage() + "; " + unfinished, e.getSQLState(), e);
        } catch (RunFailedException e) {
            throw unfinished.isEmpty() ? e : new RunFailedException(e.getMessage() + "; " + unfinished, e);
        }
        if (!unfinished.isEmpty()) {
            throw new RunFailedException(unfinished, null);
        }
        return outcome;
    }

    /**
     * Its leaf partitions as the run starts, each purged in turn as a target of its own under the partitioned table's
     * fence, with the usual guarantees. A leaf detached or dropped during the run is skipped with a note, and so is
     * one a drop of which is still in flight on another session (the note is the unfinished drops'); what the run did
     * in each leaf is written to the history after it.
     */
    private RunOutcome purgeLeaves(FencedSession session, PurgeTarget target, RunProgress progress, Instant started,
                                   PendingPartitionDrops.Finished pending)
            throws SQLException, InterruptedException, RunFailedException {
        Connection connection = session.connection();
        List<Partitions.Leaf> leaves = leaves(session, target, progress);
        List<PartitionRun> partitions = new ArrayList<>(pending.report());
        Set<PurgeMethod> methods = EnumSet.noneOf(PurgeMethod.class);
        Instant deadline = started.plus(batch.maxRunTime());
        RunOutcome outcome = RunOutcome.COMPLETED;
        for (Partitions.Leaf leaf : leaves) {
            if (stopSignal.isStopRequested()) {
                outcome = RunOutcome.STOPPED;
                break;
            }
            if (clock.instant().isAfter(deadline)) {
                outcome = RunOutcome.OUT_OF_TIME;
                break;
            }
            if (pending.inFlight().contains(leaf.oid())) {
                continue;
            }
            long rowsBefore = progress.rows();
            int batchesBefore = progress.batches();
            long skippedBefore = progress.skipped().total();
            progress.method(null);
            progress.startLap(null);
            String note = null;
            PartitionDrop.Outcome drop = null;
            boolean dropping = false;
            try {
                beforePartition.accept(leaf);
                if (!Partitions.stillUnder(connection, leaf.oid(), session.tableOid())) {
                    throw new RunFailedException(GONE, null);
                }
                dropping = true;
                drop = dropIfDoomed(session, target, leaf, progress);
                dropping = false;
                if (drop == null || !drop.dropped()) {
                    outcome = purgeTable(session.forPartition(leaf.oid()),
                            target.withTable(leaf.schema(), leaf.table()), progress, started, false);
                }
            } catch (SQLException | RunFailedException e) {
                Transactions.rollbackQuietly(connection);
                // A drop that failed after its detach (the partition could not be attached again) is no skip.
                if ((dropping && e instanceof RunFailedException)
                        || Partitions.stillUnder(connection, leaf.oid(), session.tableOid())) {
                    recordPartitions(connection, progress, partitions);
                    throw e;
                }
                if (drop == null && dropping) {
                    // Its drop failed once the partition had left the table: the drop's record stays, and the
                    // next run finishes it.
                    LOG.warn("Purge {} run {}: the drop of partition {} failed after it left the table; the next"
                            + " run finishes it", target.job(), progress.runId(), leaf.displayName(), e);
                    note = GONE + "; its drop failed after it left the table (" + e.getMessage()
                            + "), the next run finishes it";
                } else if (drop == null) {
                    LOG.warn("Purge {} run {}: partition {} was detached or dropped during the run; skipped",
                            target.job(), progress.runId(), leaf.displayName());
                    note = GONE;
                } else {
                    // Detached by its own drop, left half done (logged there): what the drop says is the note.
                    note = drop.note();
                }
            } finally {
                // Positions to come back to belong to this leaf only.
                progress.skipped().forgetPositions();
            }
            if (note == null && drop != null) {
                note = drop.note();
            }
            if (drop != null && drop.dropped()) {
                partitions.add(new PartitionRun(leaf.displayName(), drop.rows(), 1, 0, null, true, note));
                recordPartitions(connection, progress, partitions);
                continue;
            }
            if (progress.method() != null) {
                methods.add(progress.method());
            }
            if (note == null && outcome != RunOutcome.COMPLETED) {
                note = outcome == RunOutcome.STOPPED ? "stopped: the node is shutting down"
                        : "stopped: reached the maximum run time";
            }
            partitions.add(new PartitionRun(leaf.displayName(), progress.rows() - rowsBefore,
                    progress.batches() - batchesBefore, progress.skipped().total() - skippedBefore,
                    progress.method() == null ? null : progress.method().id(), false, note));
            recordPartitions(connection, progress, partitions);
            if (outcome != RunOutcome.COMPLETED) {
                break;
            }
        }
        progress.method(methods.size() == 1 ? methods.iterator().next() : null);
        history.recordMethod(connection, progress.runId(), progress.method(),
                "partitioned: " + (partitions.size() - pending.report().size()) + " of " + leaves.size()
                        + " leaf partition(s), "
                        + partitions.stream().filter(p -> "heap".equals(p.method())).count() + " by the heap walk, "
                        + partitions.stream().filter(p -> "index".equals(p.method())).count()
                        + " by the index walk (see partitions)");
        Transactions.commit(connection);
        return outcome;
    }

    private PendingPartitionDrops pendingDrops(FencedSession session, PurgeTarget target) {
        return new PendingPartitionDrops(dataSource, target, session.tableOid(), batch, partitionDrops);
    }

    /**
     * Before the leaves are listed: the whole-partition drops a run of this job left unfinished when its node died,
     * finished when the target opts in (else a WARN and a note for each, at every run). No transaction of the run's
     * session may be open: finishing a detach waits for every transaction that may still see the partition.
     */
    private PendingPartitionDrops.Finished finishPendingDrops(FencedSession session, PurgeTarget target,
                                                              RunProgress progress) throws SQLException {
        Connection connection = session.connection();
        Transactions.commit(connection);
        PendingPartitionDrops pending = pendingDrops(session, target);
        PendingPartitionDrops.Finished finished = target.dropDoomedPartitions() ? pending.finish(connection, progress)
                : pending.leaveUnfinished(connection, progress, "dropDoomedPartitions is off");
        if (!finished.report().isEmpty()) {
            recordPartitions(connection, progress, finished.report());
        }
        Transactions.commit(connection);
        return finished;
    }

    /**
     * For a target that opts in: drops the leaf whole when every row of it is doomed ({@link PartitionDrop}); null
     * when it is not a candidate. A leaf that could not be judged (the check timed out) is purged row by row.
     */
    private PartitionDrop.Outcome dropIfDoomed(FencedSession session, PurgeTarget target, Partitions.Leaf leaf,
                                               RunProgress progress) throws SQLException, RunFailedException {
        if (!target.dropDoomedPartitions()) {
            return null;
        }
        Connection connection = session.connection();
        PartitionDrop drop = new PartitionDrop(dataSource, target, session.tableOid(), batch, partitionDrops,
                beforeDetach);
        Optional<PartitionDrop.Verdict> verdict;
        try {
            verdict = drop.judge(connection, leaf);
            // No snapshot of ours may be open: DETACH ... CONCURRENTLY waits for every transaction that has one.
            Transactions.commit(connection);
        } catch (SQLException e) {
            Transactions.rollbackQuietly(connection);
            LOG.warn("Purge {} run {}: could not judge partition {} for a drop ({}); its rows are deleted row by row",
                    target.job(), progress.runId(), leaf.displayName(), e.getMessage());
            return new PartitionDrop.Outcome(false, 0, "not judged for a drop (" + e.getMessage()
                    + "); purged row by row");
        }
        return verdict.isEmpty() ? null : drop.drop(leaf, verdict.get(), progress);
    }

    private void recordPartitions(Connection connection, RunProgress progress, List<PartitionRun> partitions)
            throws SQLException {
        history.recordPartitions(connection, progress.runId(), partitions);
        Transactions.commit(connection);
    }

    private void finish(Connection connection, long runId, Ending ending) throws SQLException {
        if (!connection.getAutoCommit()) {
            connection.rollback();
        }
        history.finish(connection, runId, ending.status(), ending.error());
        if (!connection.getAutoCommit()) {
            connection.commit();
        }
    }

    /**
     * The run's session failed before its end was recorded (it was killed, or the database went away): the
     * run is over and its fence went with the session, so record the end on a fresh connection rather than
     * leave the row 'running' while this node lives. A row already ended (or closed by another run) stays.
     */
    private void finishOnAnotherConnection(PurgeTarget target, long runId, Ending ending) {
        try (Connection connection = dataSource.getConnection()) {
            history.finishIfRunning(connection, runId, ending.status(), ending.error());
        } catch (SQLException e) {
            LOG.warn("Purge {} run {}: could not record its end ({}); the next run closes it", target.job(), runId,
                    e.getMessage());
        }
    }

    private Long recordNotStarted(PurgeTarget target, PurgeRequest request, String nodeId, String error) {
        try {
            return history.recordNotStarted(target.job(), request, nodeId, error);
        } catch (SQLException e) {
            LOG.warn("Purge {}: could not record a run that did not start: {}", target.job(), e.getMessage());
            return null;
        }
    }

    /** One line per run; a failure's cause is in it, its stack trace only at DEBUG. */
    private static void log(PurgeResult result) {
        // The run's facts as fields too, for JSON log lines (config.yml: logging.appenders[0].layout.type json).
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("job", result.job().id());
        fields.put("runId", String.valueOf(result.runId()));
        fields.put("status", result.status().id());
        fields.put("rowsDeleted", Long.toString(result.rowsDeleted()));
        fields.put("rowsSkipped", Long.toString(result.rowsSkipped()));
        fields.put("batches", Integer.toString(result.batches()));
        fields.put("durationMs", Long.toString(result.duration().toMillis()));
        fields.put("pausedMs", Long.toString(result.paused().toMillis()));
        fields.put("trigger", result.trigger().id());
        fields.put("node", result.nodeId());
        fields.put("dryRun", Boolean.toString(result.dryRun()));
        fields.forEach(MDC::put);
        try {
            switch (result.status()) {
                case FAILED -> LOG.error("Purge finished: {}; the rows left stay for the next run", result.summary());
                case INTERRUPTED, PARTIAL -> LOG.warn("Purge finished: {}", result.summary());
                default -> LOG.info("Purge finished: {}", result.summary());
            }
        } finally {
            fields.keySet().forEach(MDC::remove);
        }
    }

    /** How a run ended: its status and, unless it succeeded, why. */
    private record Ending(RunStatus status, String error) {
        static final Ending SUCCEEDED = new Ending(RunStatus.SUCCEEDED, null);
        static final Ending PARTIAL = new Ending(RunStatus.PARTIAL,
                "some doomed rows could not be deleted (see skipped); the next run tries them again");

        static Ending failed(String error) {
            return new Ending(RunStatus.FAILED, error);
        }

        static Ending interrupted(String reason) {
            return new Ending(RunStatus.INTERRUPTED, reason);
        }
    }
}
