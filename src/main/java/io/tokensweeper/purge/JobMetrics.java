package io.tokensweeper.purge;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Per-job metrics: token-sweeper.&lt;job&gt;.duration, .rows-deleted, .failures, .last-success. */
public final class JobMetrics {
    private final Timer duration;
    private final Counter rowsDeleted;
    private final Meter failures;
    private final AtomicLong lastSuccessEpochMillis = new AtomicLong();

    public JobMetrics(MetricRegistry registry, JobName job) {
        String prefix = MetricRegistry.name("token-sweeper", job.id());
        this.duration = registry.timer(prefix + ".duration");
        this.rowsDeleted = registry.counter(prefix + ".rows-deleted");
        this.failures = registry.meter(prefix + ".failures");
        registry.gauge(prefix + ".last-success", () -> (Gauge<Long>) lastSuccessEpochMillis::get);
    }

    void record(PurgeResult result, long finishedEpochMillis) {
        duration.update(result.duration().toNanos(), TimeUnit.NANOSECONDS);
        if (!result.dryRun()) {
            rowsDeleted.inc(result.rowsDeleted());
        }
        if (result.status() == RunStatus.FAILED) {
            failures.mark();
        } else if (result.succeeded() && !result.dryRun()) {
            lastSuccessEpochMillis.set(finishedEpochMillis);
        }
    }

    public long failures() {
        return failures.getCount();
    }
}
