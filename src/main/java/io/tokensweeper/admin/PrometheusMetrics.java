package io.tokensweeper.admin;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code GET /prometheus}: the node's Dropwizard registry in the Prometheus text format. Names are the
 * Dropwizard names made Prometheus-safe (token-sweeper.refresh-tokens.rows-deleted becomes
 * token_sweeper_refresh_tokens_rows_deleted_total). The bridge's label mapper cannot merge several
 * Dropwizard metrics into one labelled family (it reports a duplicate name), so the job stays in the name.
 */
public final class PrometheusMetrics {
    private PrometheusMetrics() {
    }

    public static PrometheusMetricsServlet servlet(MetricRegistry metrics) {
        PrometheusRegistry registry = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(metrics).register(registry);
        return new PrometheusMetricsServlet(registry);
    }
}
