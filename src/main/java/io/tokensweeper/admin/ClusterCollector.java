package io.tokensweeper.admin;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.tokensweeper.scheduler.ClusterState;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's members as this node reads them from Quartz's check-in table, by state, and a constant 1 for
 * this node: alerts see a peer missing from the first, and every node missing from the absence of the second.
 */
final class ClusterCollector implements MultiCollector {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterCollector.class);

    private final ClusterState state;
    private final Clock clock;

    ClusterCollector(ClusterState state, Clock clock) {
        this.state = state;
        this.clock = clock;
    }

    @Override
    public MetricSnapshots collect() {
        MetricSnapshots.Builder snapshots = MetricSnapshots.builder().metricSnapshot(GaugeSnapshot.builder()
                .name("token_sweeper_node_up").help("1 while this node answers scrapes")
                .dataPoint(GaugeDataPointSnapshot.builder().value(1).build()).build());
        List<ClusterState.Node> nodes;
        try {
            nodes = state.nodes(clock.instant());
        } catch (SQLException e) {
            // Without the database there is no membership to report; failing the whole scrape would hide the
            // node's other metrics too. The database health check says what is wrong.
            LOG.debug("Cluster state unreadable for /prometheus: {}", e.getMessage());
            return snapshots.build();
        }
        long presumedDead = nodes.stream().filter(ClusterState.Node::presumedDead).count();
        return snapshots.metricSnapshot(GaugeSnapshot.builder().name("token_sweeper_cluster_nodes")
                .help("Nodes in Quartz's check-in table of this cluster: alive, or presumed dead (late to check in,"
                        + " until a peer recovers its work and removes it)")
                .dataPoint(nodeCount("alive", nodes.size() - presumedDead))
                .dataPoint(nodeCount("presumed_dead", presumedDead))
                .build()).build();
    }

    private static GaugeDataPointSnapshot nodeCount(String state, long count) {
        return GaugeDataPointSnapshot.builder().labels(Labels.of("state", state)).value(count).build();
    }
}
