package io.tokensweeper.admin;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tokensweeper.purge.JobName;
import java.util.Arrays;
import java.util.Map;

/**
 * The per-job Dropwizard metrics (token-sweeper.&lt;job&gt;.*, see JobMetrics) as one Prometheus family each,
 * the job in a {@value #JOB_LABEL} label. Read from the registry at every scrape.
 */
final class JobMetricsCollector implements MultiCollector {
    /**
     * Not "job": Prometheus gives every scraped series a job label of its own (the scrape job) and would rename
     * ours to exported_job.
     */
    static final String JOB_LABEL = "cleanup_job";
    static final String DURATION = "duration";
    private static final String ROWS_DELETED = "rows-deleted";
    private static final String FAILURES = "failures";
    private static final String LAST_SUCCESS = "last-success";
    private static final String ROWS_SKIPPED = "rows-skipped";
    private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};

    private final MetricRegistry registry;

    JobMetricsCollector(MetricRegistry registry) {
        this.registry = registry;
    }

    static String dropwizardName(JobName job, String metric) {
        return MetricRegistry.name("token-sweeper", job.id(), metric);
    }

    /** What the Dropwizard bridge may still export: everything this collector does not. */
    static MetricFilter notPerJob() {
        return (name, metric) -> Arrays.stream(JobName.values())
                .noneMatch(job -> name.startsWith(MetricRegistry.name("token-sweeper", job.id()) + "."));
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, Metric> metrics = registry.getMetrics();
        CounterSnapshot.Builder rowsDeleted = CounterSnapshot.builder().name("token_sweeper_rows_deleted")
                .help("Rows deleted by this node's runs since it started (dry runs excluded)");
        SummarySnapshot.Builder duration = SummarySnapshot.builder().name("token_sweeper_run_duration_seconds")
                .unit(Unit.SECONDS).help("Duration of this node's runs since it started, any outcome");
        CounterSnapshot.Builder failures = CounterSnapshot.builder().name("token_sweeper_failures")
                .help("Runs on this node that ended failed, since it started");
        GaugeSnapshot.Builder lastSuccess = GaugeSnapshot.builder().name("token_sweeper_last_success_timestamp_seconds")
                .unit(Unit.SECONDS).help("End of the last completed (succeeded or partial) non-dry run this node knows"
                        + " of, its own or, at start, the run history's; 0 if none");
        GaugeSnapshot.Builder rowsSkipped = GaugeSnapshot.builder().name("token_sweeper_rows_skipped")
                .help("Doomed rows the run of last_success_timestamp_seconds could not delete");
        for (JobName job : JobName.values()) {
            Labels labels = Labels.of(JOB_LABEL, job.id());
            if (metrics.get(dropwizardName(job, ROWS_DELETED)) instanceof Counter counter) {
                rowsDeleted.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(counter.getCount()).build());
            }
            if (metrics.get(dropwizardName(job, DURATION)) instanceof Timer timer) {
                duration.dataPoint(summary(timer, labels));
            }
            if (metrics.get(dropwizardName(job, FAILURES)) instanceof Meter meter) {
                failures.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(meter.getCount()).build());
            }
            if (metrics.get(dropwizardName(job, LAST_SUCCESS)) instanceof Gauge<?> gauge
                    && gauge.getValue() instanceof Number epochMillis) {
                lastSuccess.dataPoint(GaugeDataPointSnapshot.builder().labels(labels)
                        .value(Unit.millisToSeconds(epochMillis.longValue())).build());
            }
            if (metrics.get(dropwizardName(job, ROWS_SKIPPED)) instanceof Gauge<?> gauge
                    && gauge.getValue() instanceof Number rows) {
                rowsSkipped.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(rows.doubleValue()).build());
            }
        }
        return MetricSnapshots.of(rowsDeleted.build(), duration.build(), failures.build(), lastSuccess.build(),
                rowsSkipped.build());
    }

    private static SummaryDataPointSnapshot summary(Timer timer, Labels labels) {
        Snapshot snapshot = timer.getSnapshot();
        Quantiles.Builder quantiles = Quantiles.builder();
        for (double quantile : QUANTILES) {
            // An empty reservoir answers 0 s; Prometheus's word for "no observation" is NaN.
            quantiles.quantile(quantile, snapshot.size() == 0 ? Double.NaN : snapshot.getValue(quantile) / 1e9);
        }
        SummaryDataPointSnapshot.Builder point = SummaryDataPointSnapshot.builder().labels(labels)
                .quantiles(quantiles.build()).count(timer.getCount());
        if (timer instanceof RunDurationTimer summing) {
            point.sum(Unit.nanosToSeconds(summing.sumNanos()));
        }
        return point.build();
    }
}
