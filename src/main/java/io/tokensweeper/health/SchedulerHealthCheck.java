package io.tokensweeper.health;

import com.codahale.metrics.health.HealthCheck;
import io.tokensweeper.scheduler.ClusterScheduler;
import io.tokensweeper.scheduler.ClusterState;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.quartz.Scheduler;

/** Healthy when this node's scheduler runs, is not in standby, and has checked in with the cluster lately. */
public final class SchedulerHealthCheck extends HealthCheck {
    private final ClusterScheduler cluster;
    private final ClusterState state;
    private final Clock clock;

    public SchedulerHealthCheck(ClusterScheduler cluster, ClusterState state, Clock clock) {
        this.cluster = cluster;
        this.state = state;
        this.clock = clock;
    }

    @Override
    protected Result check() throws Exception {
        if (!cluster.isEnabled()) {
            return Result.healthy("not started on this node (SWEEPER_ENV=test): nothing fires on its own");
        }
        Optional<Scheduler> scheduler = cluster.scheduler();
        if (scheduler.isEmpty() || scheduler.get().isShutdown() || !scheduler.get().isStarted()) {
            return Result.unhealthy("the scheduler of node %s is not running", cluster.nodeId());
        }
        if (scheduler.get().isInStandbyMode()) {
            return Result.unhealthy("the scheduler of node %s is in standby: nothing fires on this node",
                    cluster.nodeId());
        }
        Instant now = clock.instant();
        List<ClusterState.Node> nodes;
        try {
            nodes = state.nodes(now);
        } catch (SQLException e) {
            return Result.unhealthy("node %s cannot read the cluster's state: %s", cluster.nodeId(), e.getMessage());
        }
        Optional<ClusterState.Node> self = nodes.stream().filter(n -> n.id().equals(cluster.nodeId())).findFirst();
        if (self.isEmpty()) {
            return Result.unhealthy("node %s has no check-in row in %s.qrtz_scheduler_state: the cluster does"
                    + " not know it", cluster.nodeId(), cluster.schema());
        }
        Duration age = Duration.between(self.get().lastCheckin(), now);
        Duration allowed = self.get().checkinInterval().multipliedBy(2).plusMillis(7500);
        String members = nodes.stream().map(n -> n.id() + (n.presumedDead() ? " (presumed dead)" : " (alive)"))
                .collect(Collectors.joining(", "));
        if (age.compareTo(allowed) > 0) {
            return Result.unhealthy("node %s last checked in with the cluster %d s ago (allowed %d s): peers will"
                    + " presume it dead; cluster: %s", cluster.nodeId(), age.toSeconds(), allowed.toSeconds(), members);
        }
        return Result.healthy("node %s checked in %d ms ago; cluster %s: %s", cluster.nodeId(), age.toMillis(),
                cluster.settings().getClusterName(), members);
    }
}
