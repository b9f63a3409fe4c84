package io.tokensweeper.purge;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-job metrics: token-sweeper.&lt;job&gt;.duration, .rows-deleted, .failures, .last-success (a completed
 * run: succeeded or partial), .rows-skipped (doomed rows the last completed run could not delete).
 */
public final class JobMetrics {
    private final Timer duration;
    private final Counter rowsDeleted;
    private final Meter failures;
    private final AtomicLong lastSuccessEpochMillis = new AtomicLong();
    private final AtomicLong lastRowsSkipped = new AtomicLong();

    public JobMetrics(MetricRegistry registry, JobName job) {
        String prefix = MetricRegistry.name("token-sweeper", job.id());
        this.duration = registry.timer(prefix + ".duration");
        this.rowsDeleted = registry.counter(prefix + ".rows-deleted");
        this.failures = registry.meter(prefix + ".failures");
        registry.gauge(prefix + ".last-success", () -> (Gauge<Long>) lastSuccessEpochMillis::get);
        registry.gauge(prefix + ".rows-skipped", () -> (Gauge<Long>) lastRowsSkipped::get);
    }

    void record(PurgeResult result, long finishedEpochMillis) {
        duration.update(result.duration().toNanos(), TimeUnit.NANOSECONDS);
        if (!result.dryRun()) {
            rowsDeleted.inc(result.rowsDeleted());
        }
        if (result.status() == RunStatus.FAILED) {
            failures.mark();
        } else if (result.status().completed() && !result.dryRun()) {
            lastSuccessEpochMillis.set(finishedEpochMillis);
            lastRowsSkipped.set(result.rowsSkipped());
        }
    }

    /** At start, from the history: a fresh node must not look as if the job never ran (alerts would fire). */
    void restore(RunRecord lastCompleted) {
        Instant finished = lastCompleted.finishedAt() == null ? lastCompleted.startedAt() : lastCompleted.finishedAt();
        lastSuccessEpochMillis.compareAndSet(0, finished.toEpochMilli());
        lastRowsSkipped.set(lastCompleted.rowsSkipped());
    }

    public long failures() {
        return failures.getCount();
    }
}
