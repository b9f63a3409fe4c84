package io.tokensweeper.purge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The sweeper.cleanup_runs table. A run's row is written on the run's own session once it holds the
 * fence, its progress in the same transaction as each batch, and its end before the fence is released:
 * a row is 'running' only while its run holds the fence, or after its node died.
 */
public final class RunHistory {
    private static final String COLUMNS = "id, job, trigger, scheduled_at, started_at, finished_at, node_id, status,"
            + " dry_run, rows_deleted, batches, rows_skipped, skipped::text AS skipped, lap_percent, error, request_id,"
            + " method, method_reason, table_bytes, heap_bytes, live_tuples, dead_tuples, autovacuum_threshold,"
            + " last_autovacuum, last_vacuum, autovacuum_warning, vacuum_ran, vacuum_ms, vacuum_note,"
            + " dead_tuples_after_vacuum, partitions::text AS partitions";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<SkipGroup>> SKIP_GROUPS = new TypeReference<>() {
    };
    private static final TypeReference<List<PartitionRun>> PARTITIONS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final String table;

    public RunHistory(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.table = Sql.identifier(schema) + ".cleanup_runs";
    }

    /** The row of a run that holds its fence; committed at once, so others see it running. */
    long start(Connection connection, JobName job, PurgeRequest request, String nodeId) throws SQLException {
        return insert(connection, job, request, nodeId, RunStatus.RUNNING, null);
    }

    /** A run that never started (the fence was held, the database refused): one finished row. */
    long recordNotStarted(JobName job, PurgeRequest request, String nodeId, String error) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return insert(connection, job, request, nodeId, RunStatus.FAILED, error);
        }
    }

    private long insert(Connection connection, JobName job, PurgeRequest request, String nodeId, RunStatus status,
                        String error) throws SQLException {
        return Jdbc.oneLong(connection, "INSERT INTO " + table
                        + " (job, trigger, scheduled_at, node_id, dry_run, request_id, status, error, finished_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN NULL ELSE now() END) RETURNING id",
                job.id(), request.trigger().id(),
                request.scheduledAt() == null ? null : Timestamp.from(request.scheduledAt()), nodeId,
                request.dryRun(), request.requestId(), status.id(), error, status == RunStatus.RUNNING);
    }

    /** The run's counts and position, in the caller's transaction (the one that deleted those rows). */
    void recordProgress(Connection connection, long runId, RunProgress progress) throws SQLException {
        boolean skipsChanged = progress.skipped().takeChanged();
        Lap lap = progress.lap();
        Tid resume = lap == null ? null : lap.resumePosition();
        Jdbc.update(connection, "UPDATE " + table + " SET rows_deleted = ?, batches = ?, rows_skipped = ?,"
                        + " skipped = CASE WHEN ? THEN ?::jsonb ELSE skipped END,"
                        + " resume_block = ?::bigint, resume_offset = ?::int, lap_percent = ?::smallint WHERE id = ?",
                progress.rows(), progress.batches(), progress.skipped().total(), skipsChanged,
                skipsChanged ? json(progress.skipped().groups()) : null,
                resume == null ? null : resume.block(), resume == null ? null : resume.offset(),
                lap == null ? null : lap.percentDone(), runId);
    }

    /** How the run finds its rows and why, in the caller's transaction. */
    void recordMethod(Connection connection, long runId, MethodChoice choice) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET method = ?, method_reason = ? WHERE id = ?",
                choice.method().id(), choice.reason(), runId);
    }

    /** A partitioned target's run: its method over all leaves (null when they differ) and why. */
    void recordMethod(Connection connection, long runId, PurgeMethod method, String reason) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET method = ?, method_reason = ? WHERE id = ?",
                method == null ? null : method.id(), reason, runId);
    }

    /** What the run did in each leaf partition so far, in the caller's transaction. */
    void recordPartitions(Connection connection, long runId, List<PartitionRun> partitions) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET partitions = ?::jsonb WHERE id = ?", json(partitions),
                runId);
    }

    /**
     * One worker's batch of a run with parallel workers, in that batch's transaction: the counts as increments
     * (other workers commit theirs meanwhile). The position and the skipped rows' report are written at the end.
     */
    void addProgress(Connection connection, long runId, long rows, int batches, long skipped) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET rows_deleted = rows_deleted + ?, batches = batches + ?,"
                + " rows_skipped = rows_skipped + ? WHERE id = ?", rows, batches, skipped, runId);
    }

    /** Where the job's next run starts: where the last run that walked the table stopped. */
    Optional<Tid> resumePosition(Connection connection, JobName job) throws SQLException {
        return Jdbc.first(connection, "SELECT resume_block, resume_offset FROM " + table
                        + " WHERE job = ? AND NOT dry_run AND resume_block IS NOT NULL ORDER BY id DESC LIMIT 1",
                rs -> new Tid(rs.getLong(1), rs.getInt(2)), job.id());
    }

    /** The end of a run, in the caller's transaction; the counts were written with each batch. */
    void finish(Connection connection, long runId, RunStatus status, String error) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET status = ?, finished_at = now(), error = ? WHERE id = ?",
                status.id(), error, runId);
    }

    /** The end of a run whose own session failed, unless its row was ended already. */
    void finishIfRunning(Connection connection, long runId, RunStatus status, String error) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET status = ?, finished_at = now(), error = ?"
                + " WHERE id = ? AND status = 'running'", status.id(), error, runId);
    }

    /** A dry run's count: the rows that would go. */
    void recordDryRunCount(Connection connection, long runId, long rows) throws SQLException {
        Jdbc.update(connection, "UPDATE " + table + " SET rows_deleted = ? WHERE id = ?", rows, runId);
    }

    /** The table's space right after the run ({@link SpaceAfterRun}), once the run has ended. */
    void recordSpace(long runId, RunSpace space) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Jdbc.update(connection, "UPDATE " + table + " SET table_bytes = ?, heap_bytes = ?, live_tuples = ?,"
                            + " dead_tuples = ?, autovacuum_threshold = ?, last_autovacuum = ?, last_vacuum = ?,"
                            + " autovacuum_warning = ? WHERE id = ?",
                    space.tableBytes(), space.heapBytes(), space.liveTuples(), space.deadTuples(),
                    space.autovacuumThreshold(), timestamp(space.lastAutovacuum()), timestamp(space.lastVacuum()),
                    space.autovacuumWarning(), runId);
        }
    }

    /** The opt-in VACUUM after the run, and the autovacuum warning as it stands after it. */
    void recordVacuum(long runId, RunVacuum vacuum, String autovacuumWarning) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Jdbc.update(connection, "UPDATE " + table + " SET vacuum_ran = ?, vacuum_ms = ?::bigint, vacuum_note = ?,"
                            + " dead_tuples_after_vacuum = ?::bigint, autovacuum_warning = ? WHERE id = ?",
                    vacuum.ran(), vacuum.durationMs(), vacuum.note(), vacuum.deadTuplesAfter(), autovacuumWarning,
                    runId);
        }
    }

    /**
     * What the job's runs before {@code runId} read of its table ({@link AutovacuumLag.Earlier}): when the newest of
     * them did, and the first since {@code lastVacuum} (null: any) that found its dead tuples over the threshold.
     */
    AutovacuumLag.Earlier earlierReadings(JobName job, long runId, Instant lastVacuum) throws SQLException {
        record Over(long id, Instant at) {
        }
        try (Connection connection = dataSource.getConnection()) {
            Instant previous = Jdbc.first(connection, "SELECT finished_at FROM " + table + " WHERE job = ? AND id < ?"
                            + " AND table_bytes IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1",
                    rs -> instant(rs, "finished_at"), job.id(), runId).orElse(null);
            Optional<Over> over = Jdbc.first(connection, "SELECT id, finished_at FROM " + table
                            + " WHERE job = ? AND id < ? AND dead_tuples > autovacuum_threshold"
                            + " AND finished_at > coalesce(?::timestamptz, '-infinity') ORDER BY started_at, id LIMIT 1",
                    rs -> new Over(rs.getLong("id"), instant(rs, "finished_at")), job.id(), runId,
                    timestamp(lastVacuum));
            return new AutovacuumLag.Earlier(previous, over.map(Over::id).orElse(null), over.map(Over::at).orElse(null));
        }
    }

    private static Timestamp timestamp(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }

    /**
     * Closes the job's other 'running' rows. Called holding the target's fence: no other run can be purging
     * that table, so those rows belong to runs whose node died or lost its database. Their counts stay as
     * their last committed batch left them: exact.
     */
    int closeAbandoned(Connection connection, JobName job, long currentRunId, String closedBy) throws SQLException {
        return Jdbc.update(connection, "UPDATE " + table + " SET status = 'interrupted', finished_at = now(), error = ?"
                        + " WHERE job = ? AND status = 'running' AND id <> ?",
                "abandoned: the run ended without recording its end (its node died or lost the database); its counts"
                        + " are those of its last committed batch; closed by node " + closedBy,
                job.id(), currentRunId);
    }

    public Optional<RunRecord> findByRequest(UUID requestId) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE request_id = ?", requestId).stream().findFirst();
    }

    /** The newest run of the job still marked running, if any. */
    public Optional<RunRecord> running(JobName job) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE job = ? AND status = 'running'"
                + " ORDER BY started_at DESC, id DESC LIMIT 1", job.id()).stream().findFirst();
    }

    public Optional<RunRecord> last(JobName job) throws SQLException {
        return recent(job, 1).stream().findFirst();
    }

    /** Newest first; {@code job} null means every job. */
    public List<RunRecord> recent(JobName job, int limit) throws SQLException {
        if (job == null) {
            return query("SELECT " + COLUMNS + " FROM " + table + " ORDER BY started_at DESC, id DESC LIMIT ?",
                    limit);
        }
        return query("SELECT " + COLUMNS + " FROM " + table
                + " WHERE job = ? ORDER BY started_at DESC, id DESC LIMIT ?", job.id(), limit);
    }

    /** The job's last real run that went through the whole table: succeeded, or partial with skips. */
    public Optional<RunRecord> lastCompleted(JobName job) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE job = ? AND status IN ('succeeded', 'partial')"
                + " AND NOT dry_run ORDER BY started_at DESC, id DESC LIMIT 1", job.id()).stream().findFirst();
    }

    /** The job's last {@code limit} real runs that went through the whole table, newest first. */
    public List<RunRecord> recentCompleted(JobName job, int limit) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE job = ? AND status IN ('succeeded', 'partial')"
                + " AND NOT dry_run ORDER BY started_at DESC, id DESC LIMIT ?", job.id(), limit);
    }

    /** The job's newest run that recorded its table's space, for the dashboard. */
    public Optional<RunRecord> lastWithSpace(JobName job) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE job = ? AND table_bytes IS NOT NULL"
                + " ORDER BY started_at DESC, id DESC LIMIT 1", job.id()).stream().findFirst();
    }

    private List<RunRecord> query(String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return Jdbc.list(connection, sql, RunHistory::record, parameters);
        }
    }

    private static RunRecord record(ResultSet rs) throws SQLException {
        int lapPercent = rs.getInt("lap_percent");
        Integer lap = rs.wasNull() ? null : lapPercent;
        return new RunRecord(rs.getLong("id"), rs.getString("job"), rs.getString("trigger"),
                instant(rs, "scheduled_at"), instant(rs, "started_at"), instant(rs, "finished_at"),
                rs.getString("node_id"), RunStatus.fromId(rs.getString("status")), rs.getBoolean("dry_run"),
                rs.getLong("rows_deleted"), rs.getInt("batches"), rs.getLong("rows_skipped"),
                skipGroups(rs.getString("skipped")), lap, rs.getString("error"), (UUID) rs.getObject("request_id"),
                rs.getString("method") == null ? null : PurgeMethod.fromId(rs.getString("method")).orElse(null),
                rs.getString("method_reason"), space(rs), vacuum(rs), partitions(rs.getString("partitions")));
    }

    private static RunSpace space(ResultSet rs) throws SQLException {
        long tableBytes = rs.getLong("table_bytes");
        if (rs.wasNull()) {
            return null;
        }
        return new RunSpace(tableBytes, rs.getLong("heap_bytes"), rs.getLong("live_tuples"), rs.getLong("dead_tuples"),
                rs.getLong("autovacuum_threshold"), instant(rs, "last_autovacuum"), instant(rs, "last_vacuum"),
                rs.getString("autovacuum_warning"));
    }

    private static RunVacuum vacuum(ResultSet rs) throws SQLException {
        boolean ran = rs.getBoolean("vacuum_ran");
        if (rs.wasNull()) {
            return null;
        }
        return new RunVacuum(ran, (Long) rs.getObject("vacuum_ms"), (Long) rs.getObject("dead_tuples_after_vacuum"),
                rs.getString("vacuum_note"));
    }

    private static List<PartitionRun> partitions(String json) throws SQLException {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readValue(json, PARTITIONS);
        } catch (JsonProcessingException e) {
            throw new SQLException("cleanup_runs.partitions is not the JSON token-sweeper writes: " + e.getMessage(), e);
        }
    }

    private static String json(List<?> groups) {
        try {
            return JSON.writeValueAsString(groups);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write the run's report as JSON", e);
        }
    }

    private static List<SkipGroup> skipGroups(String json) throws SQLException {
        if (json == null) {
            return List.of();
        }
        try {
            return JSON.readValue(json, SKIP_GROUPS);
        } catch (JsonProcessingException e) {
            throw new SQLException("cleanup_runs.skipped is not the JSON token-sweeper writes: " + e.getMessage(), e);
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp timestamp = rs.getTimestamp(column);
        return timestamp == null ? null : timestamp.toInstant();
    }
}
