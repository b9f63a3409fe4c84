package io.tokensweeper.scheduler;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/** The cluster's members as Quartz records them in qrtz_scheduler_state. */
public final class ClusterState {
    /** Quartz presumes a node dead once it is this late beyond its check-in interval. */
    private static final Duration QUARTZ_GRACE = Duration.ofMillis(7500);

    private final DataSource dataSource;
    private final String schema;
    private final String clusterName;

    public ClusterState(DataSource dataSource, String schema, String clusterName) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.clusterName = clusterName;
    }

    public record Node(String id, Instant lastCheckin, Duration checkinInterval, boolean presumedDead) {
    }

    public List<Node> nodes(Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return Jdbc.list(connection, "SELECT instance_name, last_checkin_time, checkin_interval FROM " + schema
                    + ".qrtz_scheduler_state WHERE sched_name = ? ORDER BY instance_name", rs -> {
                        Instant checkin = Instant.ofEpochMilli(rs.getLong(2));
                        Duration interval = Duration.ofMillis(rs.getLong(3));
                        boolean dead = checkin.plus(interval).plus(QUARTZ_GRACE).isBefore(now);
                        return new Node(rs.getString(1), checkin, interval, dead);
                    }, clusterName);
        }
    }
}
