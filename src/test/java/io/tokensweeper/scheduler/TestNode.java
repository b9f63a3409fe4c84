package io.tokensweeper.scheduler;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.util.Duration;
import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.testing.TestDatabase;
import java.time.Clock;
import org.quartz.SchedulerException;

/**
 * A scheduler node in this JVM, built the way the application builds one (purge service, cluster
 * scheduler, on-demand runs) on its own connection pool, so several can share one database.
 */
final class TestNode implements AutoCloseable {
    final String id;
    final TestDatabase connection;
    final PurgeService purgeService;
    final ClusterScheduler cluster;
    final OnDemandRuns onDemand;

    TestNode(String id, TestDatabase connection, CleanupFactory cleanup, BatchSettings batch,
             ClusterSchedulerFactory scheduler, boolean schedulerEnabled) {
        this.id = id;
        this.connection = connection;
        this.purgeService = new PurgeService(cleanup, batch, connection.dataSource(), "sweeper",
                new MetricRegistry(), id, Clock.systemUTC());
        this.cluster = new ClusterScheduler(scheduler, JobSchedule.from(cleanup), connection.dataSource(),
                "sweeper", purgeService, id, schedulerEnabled);
        this.onDemand = new OnDemandRuns(purgeService, cluster, Clock.systemUTC());
    }

    static ClusterSchedulerFactory fastCluster() {
        ClusterSchedulerFactory scheduler = new ClusterSchedulerFactory();
        scheduler.setCheckinInterval(Duration.seconds(1));
        scheduler.setMisfireThreshold(Duration.seconds(5));
        scheduler.setThreadCount(2);
        return scheduler;
    }

    TestNode start() throws Exception {
        purgeService.start();
        cluster.start();
        return this;
    }

    @Override
    public void close() throws SchedulerException {
        try {
            onDemand.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            cluster.stop();
        } finally {
            connection.close();
        }
    }
}
