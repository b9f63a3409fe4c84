package io.tokensweeper.scheduler;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cleans up after this node's Quartz has shut down. Quartz 2.5.2 leaves the triggers it had acquired but
 * not yet fired in state ACQUIRED when it halts while waiting for their fire time; only a peer's failure
 * recovery (after check-in interval + 7.5 s) or a later start puts them back. A clean leave releases them
 * at once, under Quartz's own TRIGGER_ACCESS lock, and removes the node from qrtz_scheduler_state unless
 * a job of it is still marked executing (then recovery by a peer is exactly what is wanted).
 */
final class ClusterLeave {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterLeave.class);

    private ClusterLeave() {
    }

    static void releaseAfterShutdown(DataSource dataSource, String schema, String clusterName, String nodeId) {
        String qrtz = schema + ".qrtz_";
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Jdbc.execute(connection, "SELECT 1 FROM " + qrtz + "locks WHERE sched_name = ?"
                        + " AND lock_name = 'TRIGGER_ACCESS' FOR UPDATE", clusterName);
                int released = Jdbc.update(connection, "UPDATE " + qrtz + "triggers t SET trigger_state = 'WAITING'"
                        + " FROM " + qrtz + "fired_triggers f WHERE f.sched_name = ? AND f.instance_name = ?"
                        + " AND f.state = 'ACQUIRED' AND t.sched_name = f.sched_name AND t.trigger_name = f.trigger_name"
                        + " AND t.trigger_group = f.trigger_group AND t.trigger_state = 'ACQUIRED'", clusterName, nodeId);
                Jdbc.update(connection, "DELETE FROM " + qrtz + "fired_triggers WHERE sched_name = ? AND instance_name = ?"
                        + " AND state = 'ACQUIRED'", clusterName, nodeId);
                int left = Jdbc.update(connection, "DELETE FROM " + qrtz + "scheduler_state s WHERE sched_name = ?"
                        + " AND instance_name = ? AND NOT EXISTS (SELECT 1 FROM " + qrtz + "fired_triggers f"
                        + " WHERE f.sched_name = s.sched_name AND f.instance_name = s.instance_name)", clusterName, nodeId);
                connection.commit();
                LOG.info("Node {} left the cluster: released {} acquired trigger(s){}", nodeId, released,
                        left == 1 ? "" : "; its runs still marked executing are left for a peer to recover");
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            LOG.warn("Node {} could not release its acquired triggers on leaving ({}); a peer recovers them after"
                    + " the check-in interval plus 7.5 s, or this node at its next start", nodeId, e.getMessage());
        }
    }
}
