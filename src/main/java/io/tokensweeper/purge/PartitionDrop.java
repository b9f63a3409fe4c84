package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in ({@code cleanup.<target>.dropDoomedPartitions}) to remove a leaf partition whose every row is doomed
 * whole instead of row by row. Only a direct partition of the target that is an ordinary table, never the default
 * partition, never a sub-partitioned one (its leaves are purged row by row), never the last partition, and only
 * while the target has no default partition (PostgreSQL cannot detach concurrently then). Every row is doomed when
 * the partition key is the expiry column alone and the partition's upper bound is expired by the database's clock
 * (with a day of margin for a {@code timestamp} column, whose daylight-saving gaps do not read in order), or else
 * when no row of it is not doomed. Then: the drop is recorded in partition_drops, {@code DETACH PARTITION ...
 * CONCURRENTLY} runs on its own autocommit connection, and in one transaction {@code LOCK TABLE} (nothing can be
 * added any more), the check again, and {@code DROP TABLE}, with the run's progress and the end of the record. A row
 * that is not doomed found then (it came between the first check and the detach) rolls that back, and the partition
 * is attached again with the same bounds and purged row by row. A drop whose node died half way is finished by the
 * next run ({@link PendingPartitionDrops}).
 */
final class PartitionDrop {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionDrop.class);
    private static final Pattern UPPER_BOUND = Pattern.compile("^FOR VALUES FROM \\(.*\\) TO \\('(.*)'\\)$");
    /** lock_not_available (lock_timeout) and query_canceled (statement_timeout): a detach that waited too long. */
    private static final Set<String> WAITED_TOO_LONG = Set.of("55P03", "57014");
    /** The note of a partition whose detach waited too long; its record stays, and a later run finishes it. */
    static final String HALF_DETACHED = "left half detached: its detach waited longer than lock_timeout for"
            + " transactions that may still see it, or for a lock on a table its foreign keys reference; a later run"
            + " finishes the detach and drops it";

    /** A partition that would go whole: its bounds (to attach it again) and why every row of it is doomed. */
    record Verdict(String bound, String reason) {
    }

    /** What became of a partition the run tried to drop. */
    record Outcome(boolean dropped, long rows, String note) {
    }

    private final DataSource dataSource;
    private final PurgeTarget target;
    private final long parentOid;
    private final BatchSettings batch;
    private final PartitionDropLog log;
    private final Consumer<Partitions.Leaf> beforeDetach;

    PartitionDrop(DataSource dataSource, PurgeTarget target, long parentOid, BatchSettings batch, PartitionDropLog log,
                  Consumer<Partitions.Leaf> beforeDetach) {
        this.dataSource = dataSource;
        this.target = target;
        this.parentOid = parentOid;
        this.batch = batch;
        this.log = log;
        this.beforeDetach = beforeDetach;
    }

    /**
     * At start, for a target that opts in: it must be partitioned, and the database user must own it and each of
     * its partitions (DETACH needs the partitioned table's ownership, DROP the partition's, ATTACH both).
     */
    static void requirePrivilege(DataSource dataSource, TargetFactory config, PurgeTarget target) {
        String key = config.configPath() + ".dropDoomedPartitions";
        if (!target.partitioned()) {
            throw new TargetConfigurationException(key + ": " + target.displayName() + " is not a partitioned table;"
                    + " set " + key + ": false");
        }
        try (Connection connection = dataSource.getConnection()) {
            List<String> notOwned = Jdbc.list(connection, "SELECT n.nspname || '.' || c.relname"
                            + " || ' (owner ' || pg_get_userbyid(c.relowner) || ')'"
                            + " FROM pg_partition_tree(to_regclass(?)) t JOIN pg_class c ON c.oid = t.relid"
                            + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                            + " WHERE t.level <= 1 AND NOT pg_has_role(c.relowner, 'USAGE') ORDER BY t.level, 1",
                    rs -> rs.getString(1), target.qualifiedTable());
            if (!notOwned.isEmpty()) {
                String user = Jdbc.one(connection, "SELECT current_user", rs -> rs.getString(1));
                throw new TargetConfigurationException(key + ": database user " + user + " may not detach and drop"
                        + " partitions of " + target.displayName() + ": that needs ownership of the partitioned table"
                        + " and of its partitions, and it does not own " + String.join(", ", notOwned)
                        + ". Make it their owner (or a member of the owning role), or set " + key + ": false (doomed"
                        + " rows are then deleted row by row, with SELECT and DELETE only)");
            }
            if (Jdbc.oneBoolean(connection, "SELECT partdefid <> 0 FROM pg_partitioned_table"
                    + " WHERE partrelid = to_regclass(?)", target.qualifiedTable())) {
                LOG.warn("{}: {} has a default partition, and PostgreSQL cannot detach a partition concurrently while"
                        + " one exists: no partition is dropped, doomed rows are deleted row by row", key,
                        target.displayName());
            }
        } catch (SQLException e) {
            throw new TargetConfigurationException(key + ": could not check whether the database user may drop"
                    + " partitions of " + target.displayName() + ": " + e.getMessage(), e);
        }
        LOG.info("Purge {}: a partition of {} whose every row is doomed is detached concurrently and dropped ({}: true)",
                config.job(), target.displayName(), key);
    }

    /** Whether the leaf would go whole now, and why; empty when it stays (it is then purged row by row). */
    Optional<Verdict> judge(Connection connection, Partitions.Leaf leaf) throws SQLException {
        record Facts(String bound, boolean direct, long siblings, boolean parentHasDefault, boolean keyIsExpiry,
                     String timeRangeKeyType) {
        }
        Facts facts = Jdbc.one(connection, "SELECT pg_get_expr(c.relpartbound, c.oid),"
                        + " EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = ?::bigint::oid"
                        + "   AND NOT i.inhdetachpending),"
                        + " (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = ?::bigint::oid),"
                        + " p.partdefid <> 0,"
                        + " p.partstrat = 'r' AND p.partnatts = 1 AND (SELECT a.attname FROM pg_attribute a"
                        + "   WHERE a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]) = ?,"
                        + " (SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                        + "   WHERE p.partstrat = 'r' AND p.partnatts = 1 AND a.attrelid = p.partrelid"
                        + "   AND a.attnum = p.partattrs[0] AND t.typname IN ('timestamptz', 'timestamp', 'date'))"
                        + " FROM pg_class c, pg_partitioned_table p WHERE c.oid = ?::bigint::oid AND c.relkind = 'r'"
                        + " AND p.partrelid = ?::bigint::oid",
                rs -> new Facts(rs.getString(1), rs.getBoolean(2), rs.getLong(3), rs.getBoolean(4), rs.getBoolean(5),
                        rs.getString(6)),
                parentOid, parentOid, target.expiresAt().name(), leaf.oid(), parentOid);
        if (leaf.isDefault() || !facts.direct() || facts.siblings() < 2 || facts.parentHasDefault()
                || facts.bound() == null) {
            return Optional.empty();
        }
        if (facts.keyIsExpiry()) {
            Matcher upper = UPPER_BOUND.matcher(facts.bound());
            if (upper.matches()) {
                String value = upper.group(1).replace("''", "'");
                String type = target.expiresAt().type().pgTypeName();
                String margin = target.expiresAt().type() == ColumnType.TIMESTAMPTZ ? "" : " + interval '1 day'";
                // The bound is bound once and named: the predicate of a naive timestamp uses its value twice.
                if (Jdbc.oneBoolean(connection, "SELECT " + DoomedRowPredicate.expired(target, "b.v")
                        + " FROM (SELECT ?::" + type + margin + " AS v) AS b", value)) {
                    return Optional.of(new Verdict(facts.bound(), "every row expired by its bounds (upper bound "
                            + value + ")"));
                }
            }
        }
        // Otherwise only a past time range: a partition new rows can still go to (a future or current range, a hash
        // or list partition, one pre-created empty) must stay, or the auth service's inserts into it would fail.
        if (facts.timeRangeKeyType() != null && rangeEnded(connection, facts.bound(), facts.timeRangeKeyType())
                && !anyKept(connection, leaf.schema(), leaf.table())) {
            return Optional.of(new Verdict(facts.bound(), "every row doomed (checked) in a time range that has ended"));
        }
        return Optional.empty();
    }

    /**
     * Whether a RANGE partition on one time column ({@code timestamptz}, {@code timestamp} or {@code date}) ends
     * before now (a day before now for a zoneless key, whatever zone it is written in), so that rows stamped now can
     * no longer go to it.
     */
    private static boolean rangeEnded(Connection connection, String bound, String keyType) throws SQLException {
        Matcher upper = UPPER_BOUND.matcher(bound);
        if (!upper.matches()) {
            return false;
        }
        String value = upper.group(1).replace("''", "'");
        return Jdbc.oneBoolean(connection, "timestamptz".equals(keyType) ? "SELECT ?::timestamptz <= now()"
                : "SELECT ?::timestamp + interval '1 day' <= now()::timestamp", value);
    }

    /** Whether the table holds a row that is not doomed (NULL is never doomed). */
    private boolean anyKept(Connection connection, String schema, String table) throws SQLException {
        return Jdbc.oneBoolean(connection, "SELECT EXISTS (SELECT 1 FROM ONLY " + Sql.identifier(schema) + "."
                + Sql.identifier(table) + " WHERE (" + DoomedRowPredicate.sql(target) + ") IS NOT TRUE)");
    }

    /**
     * Takes the partition's {@link InFlightDrop} lock, records the drop (committed, so that a node dying from here on
     * leaves what the next run needs to finish it), detaches the leaf concurrently, then drops it or attaches it
     * again ({@link DetachedPartition}). A partition whose lock another session holds is purged row by row.
     */
    Outcome drop(Partitions.Leaf leaf, Verdict verdict, RunProgress progress) throws SQLException, RunFailedException {
        try (WorkerSession session = WorkerSession.forPartitionDdl(dataSource, batch)) {
            Optional<InFlightDrop> inFlight = InFlightDrop.tryTake(session, leaf.oid());
            if (inFlight.isEmpty()) {
                LOG.warn("Purge {} run {}: partition {} is not dropped: {}; its rows are deleted row by row",
                        target.job(), progress.runId(), leaf.displayName(), InFlightDrop.ELSEWHERE);
                return new Outcome(false, 0, "not dropped: " + InFlightDrop.ELSEWHERE + "; purged row by row");
            }
            try {
                return detachAndDrop(session.connection(), leaf, verdict, progress);
            } finally {
                inFlight.get().release();
            }
        }
    }

    private Outcome detachAndDrop(Connection connection, Partitions.Leaf leaf, Verdict verdict, RunProgress progress)
            throws SQLException, RunFailedException {
        PartitionDropLog.Entry entry = log.record(connection, target, leaf, verdict, progress.runId());
        LOG.info("Purge {} run {}: detaching partition {} to drop it: {}", target.job(), progress.runId(),
                leaf.displayName(), verdict.reason());
        beforeDetach.accept(leaf);
        try {
            Jdbc.execute(connection, "ALTER TABLE " + entry.qualifiedParent() + " DETACH PARTITION "
                    + entry.qualifiedTable() + " CONCURRENTLY");
        } catch (SQLException e) {
            if (!detachPending(connection, leaf.oid())) {
                log.forget(connection, entry);
                LOG.warn("Purge {} run {}: could not detach partition {} to drop it ({}); its rows are deleted"
                        + " row by row", target.job(), progress.runId(), leaf.displayName(), e.getMessage());
                return new Outcome(false, 0, "could not be detached (" + e.getMessage() + "); purged row by row");
            }
            if (!finalizeDetach(connection, entry, e.getMessage())) {
                LOG.warn("Purge {} run {}: partition {} is left half detached: its detach waited longer than lock_timeout"
                        + " ({}); a later run finishes it and drops it", target.job(), progress.runId(),
                        leaf.displayName(), e.getMessage());
                return new Outcome(false, 0, HALF_DETACHED + " (" + e.getMessage() + ")");
            }
        }
        return new DetachedPartition(target, log, entry).dropOrAttachAgain(connection, progress, "");
    }

    static boolean detachPending(Connection connection, long partitionOid) throws SQLException {
        return Jdbc.oneBoolean(connection, "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = ?::bigint::oid"
                + " AND inhdetachpending)", partitionOid);
    }

    /**
     * A concurrent detach interrupted after its first transaction leaves the partition half detached: finish it.
     * False when that too waited longer than lock_timeout (or statement_timeout): it stays half detached.
     */
    static boolean finalizeDetach(Connection connection, PartitionDropLog.Entry entry, String cause)
            throws RunFailedException {
        String finalize = "ALTER TABLE " + entry.qualifiedParent() + " DETACH PARTITION " + entry.qualifiedTable()
                + " FINALIZE";
        try {
            Jdbc.execute(connection, finalize);
            return true;
        } catch (SQLException e) {
            if (WAITED_TOO_LONG.contains(e.getSQLState())) {
                return false;
            }
            throw new RunFailedException("DETACH PARTITION CONCURRENTLY of " + entry.displayName()
                    + " failed half way (" + cause + ") and could not be finished (" + e.getMessage() + "): run "
                    + finalize, e);
        }
    }
}
