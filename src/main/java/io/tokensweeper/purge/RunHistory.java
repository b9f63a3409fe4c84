package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** The sweeper.cleanup_runs table: a row written when a run starts, completed when it ends. */
public final class RunHistory {
    private static final String COLUMNS = "id, job, trigger, scheduled_at, started_at, finished_at, node_id, status,"
            + " dry_run, rows_deleted, batches, error, request_id";

    private final DataSource dataSource;
    private final String table;

    public RunHistory(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.table = Sql.identifier(schema) + ".cleanup_runs";
    }

    public long start(JobName job, PurgeRequest request, String nodeId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("INSERT INTO " + table
                     + " (job, trigger, scheduled_at, node_id, dry_run, request_id) VALUES (?, ?, ?, ?, ?, ?)"
                     + " RETURNING id")) {
            statement.setString(1, job.id());
            statement.setString(2, request.trigger().id());
            statement.setTimestamp(3, request.scheduledAt() == null ? null : Timestamp.from(request.scheduledAt()));
            statement.setString(4, nodeId);
            statement.setBoolean(5, request.dryRun());
            statement.setObject(6, request.requestId());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public void finish(long runId, RunStatus status, long rowsDeleted, int batches, String error)
            throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("UPDATE " + table
                     + " SET status = ?, finished_at = now(), rows_deleted = ?, batches = ?, error = ?"
                     + " WHERE id = ?")) {
            statement.setString(1, status.id());
            statement.setLong(2, rowsDeleted);
            statement.setInt(3, batches);
            statement.setString(4, error);
            statement.setLong(5, runId);
            statement.executeUpdate();
        }
    }

    /**
     * Closes the job's other 'running' rows. Called by a run that holds the target's fence: no other
     * run can be purging that table, so those rows belong to runs whose node died or lost its database.
     */
    public int closeAbandoned(JobName job, long currentRunId, String closedBy) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("UPDATE " + table
                     + " SET status = 'interrupted', finished_at = now(), error = ? WHERE job = ? AND status = 'running'"
                     + " AND id <> ?")) {
            statement.setString(1, "abandoned: the run ended without recording its end (its node died or lost"
                    + " the database); closed by node " + closedBy);
            statement.setString(2, job.id());
            statement.setLong(3, currentRunId);
            return statement.executeUpdate();
        }
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
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE job = ? ORDER BY started_at DESC, id DESC"
                + " LIMIT 1", job.id()).stream().findFirst();
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

    public Optional<RunRecord> lastSucceeded(JobName job) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM " + table + " WHERE job = ? AND status = 'succeeded'"
                + " AND NOT dry_run ORDER BY started_at DESC, id DESC LIMIT 1", job.id()).stream().findFirst();
    }

    private List<RunRecord> query(String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            List<RunRecord> runs = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    runs.add(new RunRecord(rs.getLong("id"), rs.getString("job"), rs.getString("trigger"),
                            instant(rs, "scheduled_at"), instant(rs, "started_at"), instant(rs, "finished_at"),
                            rs.getString("node_id"), RunStatus.fromId(rs.getString("status")),
                            rs.getBoolean("dry_run"), rs.getLong("rows_deleted"), rs.getInt("batches"),
                            rs.getString("error"), (UUID) rs.getObject("request_id")));
                }
            }
            return runs;
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp timestamp = rs.getTimestamp(column);
        return timestamp == null ? null : timestamp.toInstant();
    }
}
