package io.tokensweeper.admin;

import io.tokensweeper.purge.JobName;
import io.tokensweeper.scheduler.ClusterScheduler;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /tasks/pause-cleanup?job=} and {@code POST /tasks/resume-cleanup?job=}: pause or resume a
 * job's schedule for the whole cluster, so an operator investigating an incident can stop purges without
 * stopping nodes. The pause is stored in the cluster's tables and survives restarts.
 */
public final class PauseCleanupServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PauseCleanupServlet.class);

    private final transient ClusterScheduler cluster;
    private final boolean pause;

    private PauseCleanupServlet(ClusterScheduler cluster, boolean pause) {
        this.cluster = cluster;
        this.pause = pause;
    }

    public static PauseCleanupServlet pausing(ClusterScheduler cluster) {
        return new PauseCleanupServlet(cluster, true);
    }

    public static PauseCleanupServlet resuming(ClusterScheduler cluster) {
        return new PauseCleanupServlet(cluster, false);
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain;charset=utf-8");
        PrintWriter out = response.getWriter();
        List<JobName> jobs;
        try {
            jobs = parse(request.getParameterMap());
        } catch (IllegalArgumentException e) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            out.println(e.getMessage());
            return;
        }
        if (cluster.scheduler().isEmpty()) {
            response.setStatus(HttpServletResponse.SC_CONFLICT);
            out.println("this node has no scheduler (SWEEPER_ENV=test): nothing is scheduled here to "
                    + (pause ? "pause" : "resume"));
            return;
        }
        try {
            for (JobName job : jobs) {
                if (pause) {
                    cluster.pause(job);
                    LOG.warn("Purge {} PAUSED cluster-wide by an operator on node {}: no scheduled runs until"
                            + " POST /tasks/resume-cleanup?job={}", job, cluster.nodeId(), job);
                    out.println(job + ": paused cluster-wide; scheduled runs stop until POST /tasks/resume-cleanup?job="
                            + job);
                } else {
                    cluster.resume(job);
                    LOG.warn("Purge {} resumed cluster-wide by an operator on node {}; next run at {}", job,
                            cluster.nodeId(), cluster.nextFireTime(job).map(Object::toString).orElse("unknown"));
                    out.println(job + ": resumed cluster-wide; next run at "
                            + cluster.nextFireTime(job).map(Object::toString).orElse("unknown"));
                }
            }
        } catch (Exception e) {
            LOG.error("Could not {} {}", pause ? "pause" : "resume", jobs, e);
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            out.println("could not " + (pause ? "pause" : "resume") + ": " + e.getMessage());
        }
    }

    private static List<JobName> parse(Map<String, String[]> parameters) {
        for (String name : parameters.keySet()) {
            if (!"job".equals(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name + "'; known: job");
            }
        }
        String[] values = parameters.get("job");
        if (values == null || values.length != 1) {
            throw new IllegalArgumentException("give job once: one of " + JobName.validIds() + ", all");
        }
        return JobParameter.parse(values[0].trim());
    }
}
