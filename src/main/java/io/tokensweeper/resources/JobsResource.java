package io.tokensweeper.resources;

import io.tokensweeper.api.JobView;
import io.tokensweeper.api.RunView;
import io.tokensweeper.api.SideEffectView;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.scheduler.ClusterScheduler;
import io.tokensweeper.scheduler.JobSchedule;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** {@code GET /jobs}: each job's schedule, next fire time, last run, and what its DELETE also reaches. */
@Path("/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {
    private final PurgeService purgeService;
    private final ClusterScheduler cluster;

    public JobsResource(PurgeService purgeService, ClusterScheduler cluster) {
        this.purgeService = purgeService;
        this.cluster = cluster;
    }

    @GET
    public List<JobView> jobs() throws SQLException {
        List<JobView> jobs = new ArrayList<>();
        for (JobSchedule schedule : cluster.schedules()) {
            JobName job = schedule.job();
            boolean enabled = purgeService.isEnabled(job);
            jobs.add(new JobView(job.id(), enabled, cluster.isPaused(job), schedule.cron(), schedule.quartzCron(), schedule.zone().getId(),
                    enabled ? nextFireTime(schedule) : null,
                    purgeService.history().last(job).map(RunView::of).orElse(null), sideEffects(job),
                    purgeService.partitioning(job).orElse(null)));
        }
        return jobs;
    }

    private List<SideEffectView> sideEffects(JobName job) {
        return purgeService.target(job).map(target -> target.sideEffects().stream().map(SideEffectView::of).toList())
                .orElse(List.of());
    }

    /** The cluster's stored trigger knows best; without a scheduler (SWEEPER_ENV=test) nothing fires: null. */
    private String nextFireTime(JobSchedule schedule) {
        if (!cluster.isEnabled()) {
            return null;
        }
        return cluster.nextFireTime(schedule.job())
                .or(() -> schedule.nextFireAfter(Instant.now()))
                .map(Instant::toString).orElse(null);
    }
}
