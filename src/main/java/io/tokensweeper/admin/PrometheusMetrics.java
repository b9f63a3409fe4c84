package io.tokensweeper.admin;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tokensweeper.scheduler.ClusterState;
import java.time.Clock;

/**
 * {@code GET /prometheus}: the per-job metrics as labelled families (token_sweeper_rows_deleted_total{cleanup_job=
 * "refresh-tokens"}), the cluster's membership, and every other Dropwizard metric (pool, JVM, Jetty) through the
 * Dropwizard bridge, its names made Prometheus-safe (token-sweeper.pool.ActiveConnections becomes
 * token_sweeper_pool_ActiveConnections). The bridge's label mapper cannot merge several Dropwizard metrics into
 * one family, hence a collector of our own for the job metrics.
 */
public final class PrometheusMetrics {
    private PrometheusMetrics() {
    }

    /** Before the PurgeService is built: its job metrics then use timers that keep the sum /prometheus exports. */
    public static void prepare(MetricRegistry metrics) {
        RunDurationTimer.registerIn(metrics);
    }

    public static PrometheusMetricsServlet servlet(MetricRegistry metrics, ClusterState clusterState, Clock clock) {
        PrometheusRegistry registry = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(metrics).metricFilter(JobMetricsCollector.notPerJob())
                .register(registry);
        registry.register(new JobMetricsCollector(metrics));
        registry.register(new ClusterCollector(clusterState, clock));
        return new PrometheusMetricsServlet(registry);
    }
}
