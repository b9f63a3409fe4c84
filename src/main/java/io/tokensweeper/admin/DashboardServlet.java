package io.tokensweeper.admin;

import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.purge.PurgeTarget;
import io.tokensweeper.scheduler.ClusterScheduler;
import io.tokensweeper.scheduler.ClusterState;
import io.tokensweeper.scheduler.JobSchedule;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /dashboard} on the admin port: the cluster's nodes, the jobs and the recent runs, read-only. */
public final class DashboardServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServlet.class);
    private static final int RUNS_SHOWN = 50;

    private final transient PurgeService purgeService;
    private final transient ClusterScheduler cluster;
    private final transient ClusterState clusterState;
    private final transient Clock clock;

    public DashboardServlet(PurgeService purgeService, ClusterScheduler cluster, ClusterState clusterState, Clock clock) {
        this.purgeService = purgeService;
        this.cluster = cluster;
        this.clusterState = clusterState;
        this.clock = clock;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        try {
            Instant now = clock.instant();
            List<DashboardPage.JobRow> jobs = new ArrayList<>();
            for (JobSchedule schedule : cluster.schedules()) {
                JobName job = schedule.job();
                jobs.add(new DashboardPage.JobRow(job.id(), purgeService.isEnabled(job), cluster.isPaused(job),
                        schedule.cron(), schedule.quartzCron(), schedule.zone().getId(),
                        cluster.nextFireTime(job).orElse(null), purgeService.history().last(job).orElse(null),
                        purgeService.target(job).map(PurgeTarget::sideEffects).orElse(List.of()),
                        purgeService.history().lastWithSpace(job).orElse(null)));
            }
            String page = DashboardPage.render(cluster.nodeId(), cluster.settings().getClusterName(),
                    cluster.scheduler().isPresent(), clusterState.nodes(now), jobs,
                    purgeService.history().recent(null, RUNS_SHOWN), purgeService.batchSettings(), now);
            response.setContentType("text/html;charset=utf-8");
            response.getWriter().write(page);
        } catch (Exception e) {
            LOG.error("The dashboard could not be rendered", e);
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            response.setContentType("text/plain;charset=utf-8");
            response.getWriter().println("the dashboard could not read the database: " + e.getMessage());
        }
    }
}
