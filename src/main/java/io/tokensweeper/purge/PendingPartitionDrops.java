package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole-partition drops a run of this job left unfinished because its node died (what stays in partition_drops),
 * finished at the start of the next run of the target, before it lists its partitions. Each partition is found by its
 * OID: another table that took its name is never touched, and one renamed or moved to another schema since is not
 * dropped but reported (the run fails naming it and the SQL to finish by hand). Still attached normally (the node
 * died before the detach took effect): nothing to finish, the run judges it as any other. Detach pending (it died
 * during the concurrent detach, which leaves the table half detached and PostgreSQL refusing any other concurrent
 * detach from it): {@code DETACH PARTITION ... FINALIZE}, then as below. Detached, a table of its own that no run
 * would look at again: dropped with its rows counted as the run's, or attached again with its bounds when a row that
 * is not doomed is in it ({@link DetachedPartition}). What cannot be finished is reported (log, the partition's note)
 * and fails the run once its partitions are purged, naming the command to run; its record stays, and every run tries
 * again. A drop still in flight on another session (the {@link InFlightDrop} lock is held: a dead node's DETACH going
 * on) is left alone, record and partition, for the next run; each record is looked at only while this run holds that
 * lock.
 */
final class PendingPartitionDrops {
    private static final Logger LOG = LoggerFactory.getLogger(PendingPartitionDrops.class);

    /**
     * What this run did with the drops left unfinished: the partitions' notes, what it could not finish, and the
     * partitions (OIDs) a drop of which is still in flight on another session, for the run to leave alone.
     */
    record Finished(List<PartitionRun> report, List<String> failures, Set<Long> inFlight) {
        static final Finished NOTHING = new Finished(List.of(), List.of(), Set.of());
    }

    /** Where the partition a drop was about is now. */
    private enum Place { GONE, MOVED, ATTACHED, DETACH_PENDING, DETACHED, UNDER_ANOTHER_TABLE }

    /** The partition found by its OID: where it is, and its name now ({@code schema.table}; null when gone). */
    private record Located(Place place, String schema, String table) {
        String qualifiedTable() {
            return Sql.identifier(schema) + "." + Sql.identifier(table);
        }

        String displayName() {
            return schema + "." + table;
        }
    }

    private final DataSource dataSource;
    private final PurgeTarget target;
    private final long parentOid;
    private final BatchSettings batch;
    private final PartitionDropLog log;

    PendingPartitionDrops(DataSource dataSource, PurgeTarget target, long parentOid, BatchSettings batch,
                          PartitionDropLog log) {
        this.dataSource = dataSource;
        this.target = target;
        this.parentOid = parentOid;
        this.batch = batch;
        this.log = log;
    }

    /**
     * Finishes each drop of this job left unfinished, with the run's progress. The records are read on the run's
     * connection (its transaction ended after: finishing a detach waits for every transaction that may still see the
     * partition), the drops finished on a connection of their own, opened only when there is one. An error about one
     * record is that record's failure: the others are finished all the same, and the run purges its partitions.
     */
    Finished finish(Connection runConnection, RunProgress progress) {
        List<PartitionDropLog.Entry> entries;
        try {
            entries = log.unfinished(runConnection, target.job());
            Transactions.commit(runConnection);
        } catch (SQLException e) {
            Transactions.rollbackQuietly(runConnection);
            String failure = "could not read the partition drops left unfinished (" + log.table() + "): "
                    + e.getMessage();
            LOG.warn("Purge {} run {}: {}", target.job(), progress.runId(), failure);
            return new Finished(List.of(), List.of(failure), Set.of());
        }
        if (entries.isEmpty()) {
            return Finished.NOTHING;
        }
        LOG.warn("Purge {} run {}: {} partition drop(s) left unfinished by an earlier run (its node stopped mid-drop,"
                + " or it could not finish); finishing them", target.job(), progress.runId(), entries.size());
        Finished finished = new Finished(new ArrayList<>(), new ArrayList<>(), new HashSet<>());
        try (WorkerSession session = WorkerSession.forPartitionDdl(dataSource, batch)) {
            for (PartitionDropLog.Entry entry : entries) {
                finishEntry(session, entry, progress, finished);
            }
        } catch (SQLException e) {
            // Only the session's opening: what goes wrong with a record is caught with it.
            for (PartitionDropLog.Entry entry : entries) {
                failed(entry, progress, "could not open a connection to finish the drop of partition "
                        + entry.displayName() + " left by run " + entry.runId() + ": " + e.getMessage(), finished);
            }
        }
        return finished;
    }

    private void finishEntry(WorkerSession session, PartitionDropLog.Entry entry, RunProgress progress,
                             Finished finished) {
        if (!entry.isOf(target)) {
            warnLeft(progress, entry, "it was a partition of " + entry.parentSchema() + "." + entry.parentTable()
                    + ", which is no longer this job's table");
            finished.report().add(note(entry, "a drop left unfinished by run " + entry.runId() + " of a partition of "
                    + entry.parentSchema() + "." + entry.parentTable() + ", no longer this job's table: left as it is"
                    + " (see the log)"));
            return;
        }
        try {
            Optional<InFlightDrop> lock = InFlightDrop.tryTake(session, entry.oid());
            if (lock.isEmpty()) {
                LOG.warn("Purge {} run {}: partition {} is left as it is, its drop's record (run {}) kept: {} (a node"
                        + " that died mid-drop, whose DETACH goes on); the next run looks again", target.job(),
                        progress.runId(), entry.displayName(), entry.runId(), InFlightDrop.ELSEWHERE);
                finished.report().add(note(entry, InFlightDrop.ELSEWHERE + " (recorded by run " + entry.runId()
                        + "): left as it is for the next run"));
                finished.inFlight().add(entry.oid());
                return;
            }
            try {
                finishOne(session.connection(), entry, progress).ifPresent(finished.report()::add);
            } finally {
                lock.get().release();
            }
        } catch (RunFailedException e) {
            failed(entry, progress, e.getMessage(), finished);
        } catch (SQLException e) {
            failed(entry, progress, "could not finish the drop of partition " + entry.displayName() + " left by run "
                    + entry.runId() + ": " + e.getMessage(), finished);
        }
    }

    /** Reported (log, the partition's note) and a failure of the run; the record stays, and every run tries again. */
    private void failed(PartitionDropLog.Entry entry, RunProgress progress, String failure, Finished finished) {
        LOG.warn("Purge {} run {}: could not finish the drop of partition {} left by run {}: {}", target.job(),
                progress.runId(), entry.displayName(), entry.runId(), failure);
        finished.failures().add(failure);
        finished.report().add(note(entry, "a drop left unfinished by run " + entry.runId() + " could not be finished: "
                + failure));
    }

    /**
     * For a run that does not finish them (a dry run, or dropDoomedPartitions turned off since): a WARN for each drop
     * left unfinished, with what to do, and a note for the run's partitions, at every such run.
     */
    Finished leaveUnfinished(Connection connection, RunProgress progress, String why) {
        List<PartitionDropLog.Entry> entries;
        try {
            entries = log.unfinished(connection, target.job());
        } catch (SQLException e) {
            // Only a reminder here: it must not keep the run from purging.
            Transactions.rollbackQuietly(connection);
            LOG.warn("Purge {} run {}: could not read the partition drops left unfinished ({}): {}", target.job(),
                    progress.runId(), log.table(), e.getMessage());
            return Finished.NOTHING;
        }
        List<PartitionRun> report = new ArrayList<>();
        for (PartitionDropLog.Entry entry : entries) {
            warnLeft(progress, entry, why);
            report.add(note(entry, "a drop left unfinished by run " + entry.runId() + " (a partition of "
                    + entry.parentSchema() + "." + entry.parentTable() + "), not finished by this run: " + why
                    + " (see the log for what to run)"));
        }
        return new Finished(report, List.of(), Set.of());
    }

    private Optional<PartitionRun> finishOne(Connection connection, PartitionDropLog.Entry entry, RunProgress progress)
            throws SQLException, RunFailedException {
        String context = " (finishing the drop of run " + entry.runId() + ", which stopped ";
        Located located = place(connection, entry);
        switch (located.place()) {
            case GONE -> {
                LOG.info("Purge {} run {}: partition {} (OID {}), whose drop run {} left unfinished, no longer exists;"
                        + " nothing to finish", target.job(), progress.runId(), entry.displayName(), entry.oid(),
                        entry.runId());
                log.forget(connection, entry);
                return Optional.of(note(entry, "a drop left unfinished by run " + entry.runId() + ": the partition it"
                        + " detached (OID " + entry.oid() + ") no longer exists; nothing to finish"));
            }
            case MOVED -> throw new RunFailedException("the partition " + entry.displayName() + " (OID "
                    + entry.oid() + ") whose drop run " + entry.runId() + " left unfinished is now "
                    + located.displayName() + ": renamed or moved since, it is not dropped by a run; by hand: "
                    + byHand(entry, located.qualifiedTable()), null);
            case UNDER_ANOTHER_TABLE -> {
                LOG.warn("Purge {} run {}: {}, the partition run {} detached to drop it, is now {}, a partition of"
                        + " another table: left as it is", target.job(), progress.runId(), entry.displayName(),
                        entry.runId(), located.displayName());
                log.forget(connection, entry);
                return Optional.of(note(entry, "a drop left unfinished by run " + entry.runId() + ": the partition it"
                        + " detached is now " + located.displayName() + ", a partition of another table; left as it"
                        + " is"));
            }
            case ATTACHED -> {
                LOG.info("Purge {} run {}: partition {}, whose drop run {} left unfinished, was never detached; it is"
                        + " judged as any other", target.job(), progress.runId(), entry.displayName(), entry.runId());
                log.forget(connection, entry);
                return Optional.empty();
            }
            case DETACH_PENDING -> {
                LOG.warn("Purge {} run {}: partition {} was left half detached by run {}; finishing the detach",
                        target.job(), progress.runId(), entry.displayName(), entry.runId());
                if (!PartitionDrop.finalizeDetach(connection, entry, "run " + entry.runId() + " stopped during it")) {
                    LOG.warn("Purge {} run {}: partition {} stays half detached: finishing its detach waited longer"
                            + " than lock_timeout; a later run tries again", target.job(), progress.runId(),
                            entry.displayName());
                    return Optional.of(note(entry, "a drop left unfinished by run " + entry.runId() + ": "
                            + PartitionDrop.HALF_DETACHED));
                }
                context += "half way through the detach)";
            }
            case DETACHED -> {
                LOG.warn("Purge {} run {}: partition {} was left detached, a table of its own, by run {}; checking it"
                        + " again to drop it", target.job(), progress.runId(), entry.displayName(), entry.runId());
                context += "after the detach)";
            }
        }
        PartitionDrop.Outcome outcome = new DetachedPartition(target, log, entry)
                .dropOrAttachAgain(connection, progress, context);
        return Optional.of(new PartitionRun(entry.displayName(), outcome.rows(), outcome.dropped() ? 1 : 0, 0, null,
                outcome.dropped(), outcome.note()));
    }

    /**
     * Found by its OID, never by name: a table renamed or moved since is still the one detached, and a table that
     * took its name is not.
     */
    private Located place(Connection connection, PartitionDropLog.Entry entry) throws SQLException {
        record Found(String schema, String table, Long parent, boolean pending) {
        }
        Optional<Found> found = Jdbc.first(connection, "SELECT n.nspname, c.relname, i.inhparent::bigint,"
                        + " coalesce(i.inhdetachpending, false) FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " LEFT JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.oid = ?::bigint::oid"
                        + " AND c.relkind = 'r'",
                rs -> new Found(rs.getString(1), rs.getString(2), (Long) rs.getObject(3), rs.getBoolean(4)),
                entry.oid());
        if (found.isEmpty()) {
            return new Located(Place.GONE, null, null);
        }
        Found table = found.get();
        Place place;
        if (table.parent() != null && table.parent() != parentOid) {
            place = Place.UNDER_ANOTHER_TABLE;
        } else if (table.parent() != null && !table.pending()) {
            place = Place.ATTACHED;
        } else if (!table.schema().equals(entry.schema()) || !table.table().equals(entry.table())) {
            place = Place.MOVED;
        } else {
            place = table.parent() == null ? Place.DETACHED : Place.DETACH_PENDING;
        }
        return new Located(place, table.schema(), table.table());
    }

    private void warnLeft(RunProgress progress, PartitionDropLog.Entry entry, String why) {
        LOG.warn("Purge {} run {}: the drop of partition {} that run {} left unfinished is not finished by this run:"
                        + " {}. A run with dropDoomedPartitions: true on {} finishes it; by hand: {}", target.job(),
                progress.runId(), entry.displayName(), entry.runId(), why,
                entry.parentSchema() + "." + entry.parentTable(), byHand(entry, entry.qualifiedTable()));
    }

    /** The SQL that finishes the drop by hand, {@code table} being the partition's (quoted) name now. */
    private String byHand(PartitionDropLog.Entry entry, String table) {
        String parent = entry.qualifiedParent();
        return "if it is still detach pending, ALTER TABLE " + parent + " DETACH PARTITION " + table + " FINALIZE;"
                + " then DROP TABLE " + table + " if none of its rows is to be kept, else ALTER TABLE " + parent
                + " ATTACH PARTITION " + table + " " + entry.bound() + "; then DELETE FROM " + log.table()
                + " WHERE id = " + entry.id();
    }

    private static PartitionRun note(PartitionDropLog.Entry entry, String note) {
        return new PartitionRun(entry.displayName(), 0, 0, 0, null, false, note);
    }
}
