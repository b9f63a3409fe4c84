package io.tokensweeper.scheduler;

import io.dropwizard.lifecycle.Managed;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeRequest;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.purge.RunStatus;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.quartz.SchedulerException;

/**
 * Runs purges now, on request: through the cluster (Quartz triggerJob, so never beside another run of
 * the job, on whichever node picks it up), or in this process when the node has no scheduler
 * (SWEEPER_ENV=test). Waits for the runs in the shared history, where any node's run shows up.
 */
public final class OnDemandRuns implements Managed {
    private static final Duration POLL = Duration.ofMillis(200);

    private final PurgeService purgeService;
    private final ClusterScheduler cluster;
    private final Clock clock;
    private final ExecutorService inProcess = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "on-demand-purge");
        thread.setDaemon(true);
        return thread;
    });

    public OnDemandRuns(PurgeService purgeService, ClusterScheduler cluster, Clock clock) {
        this.purgeService = purgeService;
        this.cluster = cluster;
        this.clock = clock;
    }

    public enum Kind { FINISHED, STILL_RUNNING, QUEUED, ALREADY_RUNNING, DISABLED, PAUSED }

    /** What became of one job's request. {@code run} is set for FINISHED, STILL_RUNNING and, if known, ALREADY_RUNNING. */
    public record Outcome(JobName job, Kind kind, RunRecord run, Duration waited) {
        public String line() {
            return switch (kind) {
                case FINISHED -> run.summary();
                case STILL_RUNNING -> job + ": still running on node " + run.nodeId() + " (run " + run.id()
                        + ") after " + waited.toSeconds() + " s; follow it with GET /runs?job=" + job;
                case QUEUED -> job + ": requested, not started within " + waited.toSeconds()
                        + " s (a run of this job may be ahead of it); follow it with GET /runs?job=" + job;
                case ALREADY_RUNNING -> job + ": already running" + (run == null ? ""
                        : " on node " + run.nodeId() + " (run " + run.id() + ", started " + run.startedAt() + ")")
                        + "; not started again";
                case DISABLED -> job + ": disabled in configuration; not run";
                case PAUSED -> job + ": paused (POST /tasks/resume-cleanup?job=" + job + " resumes it); not run."
                        + " Add evenIfPaused=true to run it once anyway";
            };
        }

        /** Finished, but not through the whole table: failed, or interrupted before the end. */
        public boolean unsuccessful() {
            return kind == Kind.FINISHED && !run.status().completed();
        }
    }

    public List<Outcome> run(List<JobName> jobs, boolean dryRun, Duration wait)
            throws SQLException, SchedulerException {
        return run(jobs, dryRun, wait, false);
    }

    /** A paused job runs on demand only when {@code evenIfPaused}: a pause usually means "hands off". */
    public List<Outcome> run(List<JobName> jobs, boolean dryRun, Duration wait, boolean evenIfPaused)
            throws SQLException, SchedulerException {
        List<Outcome> outcomes = new ArrayList<>();
        Map<JobName, UUID> requested = new LinkedHashMap<>();
        for (JobName job : jobs) {
            if (!purgeService.isEnabled(job)) {
                outcomes.add(new Outcome(job, Kind.DISABLED, null, Duration.ZERO));
            } else if (!evenIfPaused && cluster.isPaused(job)) {
                outcomes.add(new Outcome(job, Kind.PAUSED, null, Duration.ZERO));
            } else if (purgeService.isRunningAnywhere(job)) {
                outcomes.add(new Outcome(job, Kind.ALREADY_RUNNING,
                        purgeService.history().running(job).orElse(null), Duration.ZERO));
            } else {
                UUID requestId = UUID.randomUUID();
                start(job, dryRun, requestId);
                requested.put(job, requestId);
            }
        }
        outcomes.addAll(await(requested, wait));
        return outcomes;
    }

    private void start(JobName job, boolean dryRun, UUID requestId) throws SchedulerException {
        if (cluster.scheduler().isPresent()) {
            cluster.triggerNow(job, dryRun, requestId);
        } else {
            inProcess.submit(() -> purgeService.run(job, PurgeRequest.manual(dryRun, requestId)));
        }
    }

    private List<Outcome> await(Map<JobName, UUID> requested, Duration wait) throws SQLException {
        Instant started = clock.instant();
        Instant deadline = started.plus(wait);
        Map<JobName, RunRecord> latest = new LinkedHashMap<>();
        while (true) {
            boolean allDone = true;
            for (Map.Entry<JobName, UUID> request : requested.entrySet()) {
                Optional<RunRecord> run = purgeService.history().findByRequest(request.getValue());
                run.ifPresent(r -> latest.put(request.getKey(), r));
                allDone &= run.isPresent() && run.get().status() != RunStatus.RUNNING;
            }
            if (allDone || !clock.instant().isBefore(deadline)) {
                break;
            }
            if (!sleep()) {
                break;
            }
        }
        Duration waited = Duration.between(started, clock.instant());
        List<Outcome> outcomes = new ArrayList<>();
        for (JobName job : requested.keySet()) {
            RunRecord run = latest.get(job);
            Kind kind = run == null ? Kind.QUEUED
                    : run.status() == RunStatus.RUNNING ? Kind.STILL_RUNNING : Kind.FINISHED;
            outcomes.add(new Outcome(job, kind, run, waited));
        }
        return outcomes;
    }

    private static boolean sleep() {
        try {
            Thread.sleep(POLL.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void stop() throws InterruptedException {
        purgeService.requestStop();
        inProcess.shutdown();
        inProcess.awaitTermination(30, TimeUnit.SECONDS);
    }
}
