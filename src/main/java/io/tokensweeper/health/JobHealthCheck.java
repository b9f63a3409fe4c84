package io.tokensweeper.health;

import com.codahale.metrics.health.HealthCheck;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.scheduler.ClusterScheduler;
import io.tokensweeper.scheduler.JobSchedule;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Healthy while the job's last completed run (succeeded, or partial with skipped rows) is recent enough
 * for its schedule: it turns unhealthy once two scheduled times (each more than the slack ago) have passed
 * without one since. One missed run is tolerated; a fresh install is healthy until its first runs are due.
 * It also turns unhealthy when the last {@value #SKIPPING_RUNS} completed runs all left doomed rows they
 * could not delete: something (a foreign key, a trigger, a session holding locks) keeps them for good.
 */
public final class JobHealthCheck extends HealthCheck {
    static final int SKIPPING_RUNS = 3;
    private final JobName job;
    private final PurgeService purgeService;
    private final ClusterScheduler cluster;
    private final Duration slack;
    private final Clock clock;

    public JobHealthCheck(JobName job, PurgeService purgeService, ClusterScheduler cluster, Duration slack,
                          Clock clock) {
        this.job = job;
        this.purgeService = purgeService;
        this.cluster = cluster;
        this.slack = slack;
        this.clock = clock;
    }

    @Override
    protected Result check() throws Exception {
        if (!purgeService.isEnabled(job)) {
            return Result.healthy("disabled in configuration");
        }
        if (!cluster.isEnabled()) {
            return Result.healthy("not scheduled on this node (SWEEPER_ENV=test)");
        }
        JobSchedule schedule = cluster.schedule(job).orElseThrow();
        Instant now = clock.instant();
        List<RunRecord> completed;
        try {
            completed = purgeService.history().recentCompleted(job, SKIPPING_RUNS);
        } catch (SQLException e) {
            return Result.unhealthy("cannot read the run history: %s", e.getMessage());
        }
        Optional<RunRecord> last = completed.stream().findFirst();
        if (completed.size() == SKIPPING_RUNS && completed.stream().allMatch(r -> r.rowsSkipped() > 0)) {
            RunRecord newest = completed.get(0);
            return Result.unhealthy("the last %d runs each left doomed rows they could not delete; run %d skipped"
                    + " %d: %s", SKIPPING_RUNS, newest.id(), newest.rowsSkipped(), newest.skipped().stream()
                    .map(g -> g.rows() + " " + g.reason()).collect(Collectors.joining("; ")));
        }
        Optional<Instant> scheduledSince = cluster.scheduledSince(job);
        if (last.isEmpty() && scheduledSince.isEmpty()) {
            return Result.unhealthy("never succeeded, and no schedule is stored in the cluster");
        }
        Instant since = last.map(RunRecord::startedAt).orElseGet(scheduledSince::get);
        Instant cutoff = now.minus(slack);
        Instant firstDue = schedule.nextFireAfter(since).orElse(null);
        Instant secondDue = firstDue == null ? null : schedule.nextFireAfter(firstDue).orElse(null);
        String lastText = (cluster.isPaused(job) ? "paused by an operator; " : "")
                + last.map(r -> "last " + r.status().id() + " at " + r.startedAt() + " (run " + r.id() + " on node "
                + r.nodeId() + ", " + r.rowsDeleted() + " rows" + (r.rowsSkipped() > 0 ? ", " + r.rowsSkipped()
                + " skipped" : "") + ")").orElse("no completed run yet");
        if (secondDue != null && !secondDue.isAfter(cutoff)) {
            return Result.unhealthy("%s; runs were due at %s and %s since and none completed", lastText,
                    firstDue, secondDue);
        }
        String next = cluster.nextFireTime(job).map(Instant::toString).orElse("unknown");
        if (last.isEmpty()) {
            return Result.healthy("no run due yet; first run due at %s", firstDue);
        }
        return Result.healthy("%s; next run due at %s", lastText, next);
    }
}
