package io.tokensweeper.scheduler;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
        List<Node> nodes = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT instance_name, last_checkin_time,"
                     + " checkin_interval FROM " + schema + ".qrtz_scheduler_state WHERE sched_name = ?"
                     + " ORDER BY instance_name")) {
            statement.setString(1, clusterName);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    Instant checkin = Instant.ofEpochMilli(rs.getLong(2));
                    Duration interval = Duration.ofMillis(rs.getLong(3));
                    boolean dead = checkin.plus(interval).plus(QUARTZ_GRACE).isBefore(now);
                    nodes.add(new Node(rs.getString(1), checkin, interval, dead));
                }
            }
        }
        return nodes;
    }
}
