package io.tokensweeper.admin;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.tokensweeper.purge.JobName;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A job's duration timer that also keeps the sum of the durations it recorded: Dropwizard 4's Timer keeps
 * none, and a Prometheus summary without _sum cannot give a mean over a time window.
 */
final class RunDurationTimer extends Timer {
    private final LongAdder sumNanos = new LongAdder();

    /**
     * Registers one per job under the name JobMetrics asks the registry for, so it finds these instead of
     * making plain timers. Must run before the PurgeService is built: afterwards the name is taken and
     * registering throws, so a wrong order fails at start rather than silently losing the sum.
     */
    static void registerIn(MetricRegistry registry) {
        for (JobName job : JobName.values()) {
            registry.register(JobMetricsCollector.dropwizardName(job, JobMetricsCollector.DURATION),
                    new RunDurationTimer());
        }
    }

    @Override
    public void update(long duration, TimeUnit unit) {
        add(unit.toNanos(duration));
        super.update(duration, unit);
    }

    @Override
    public void update(Duration duration) {
        add(duration.toNanos());
        super.update(duration);
    }

    private void add(long nanos) {
        // Timer ignores negative durations; so does the sum, or _sum and _count would disagree.
        if (nanos >= 0) {
            sumNanos.add(nanos);
        }
    }

    long sumNanos() {
        return sumNanos.sum();
    }
}
