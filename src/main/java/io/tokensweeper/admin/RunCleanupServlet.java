package io.tokensweeper.admin;

import io.tokensweeper.purge.JobName;
import io.tokensweeper.scheduler.OnDemandRuns;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /tasks/run-cleanup?job=&dryRun=&wait=} on the admin port. A servlet of its own rather than a
 * Dropwizard Task, because a Task can only answer 200 or 500 (with a stack trace): a bad parameter here
 * is the caller's mistake and gets a 400 that says which one. Unknown parameters are refused too, so a
 * misspelt {@code dryrun=true} never turns into a real purge.
 */
public final class RunCleanupServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RunCleanupServlet.class);
    private static final Set<String> PARAMETERS = Set.of("job", "dryRun", "wait", "evenIfPaused");
    private static final int DEFAULT_WAIT_SECONDS = 30;
    private static final int MAX_WAIT_SECONDS = 600;
    private static final String JOB_CHOICES = Arrays.stream(JobName.values()).map(JobName::id)
            .collect(Collectors.joining("|")) + "|all";

    private final transient OnDemandRuns onDemandRuns;

    public RunCleanupServlet(OnDemandRuns onDemandRuns) {
        this.onDemandRuns = onDemandRuns;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain;charset=utf-8");
        RunCleanupRequest parsed;
        try {
            parsed = parse(request.getParameterMap());
        } catch (IllegalArgumentException e) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.getWriter().println(e.getMessage());
            return;
        }
        List<OnDemandRuns.Outcome> outcomes;
        try {
            outcomes = onDemandRuns.run(parsed.jobs(), parsed.dryRun(), parsed.waitFor(), parsed.evenIfPaused());
        } catch (Exception e) {
            LOG.error("POST /tasks/run-cleanup could not start {}; nothing more was run", parsed.jobs(), e);
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            response.getWriter().println("could not start the purge: " + e.getMessage());
            return;
        }
        response.setStatus(status(outcomes, parsed.explicitJob()));
        PrintWriter out = response.getWriter();
        outcomes.forEach(outcome -> out.println(outcome.line()));
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
        response.setHeader("Allow", "POST");
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().println("use POST /tasks/run-cleanup?job=" + JOB_CHOICES + "&dryRun=true|false"
                + "&wait=SECONDS&evenIfPaused=true|false");
    }

    /** 500 if a run failed or was interrupted, 409 if a job was already running or paused (or explicitly asked for and
     * disabled), 202 if a run is not finished yet, else 200. */
    static int status(List<OnDemandRuns.Outcome> outcomes, boolean explicitJob) {
        if (outcomes.stream().anyMatch(OnDemandRuns.Outcome::unsuccessful)) {
            return HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        }
        if (outcomes.stream().anyMatch(o -> o.kind() == OnDemandRuns.Kind.ALREADY_RUNNING
                || o.kind() == OnDemandRuns.Kind.PAUSED
                || (explicitJob && o.kind() == OnDemandRuns.Kind.DISABLED))) {
            return HttpServletResponse.SC_CONFLICT;
        }
        if (outcomes.stream().anyMatch(o -> o.kind() == OnDemandRuns.Kind.STILL_RUNNING
                || o.kind() == OnDemandRuns.Kind.QUEUED)) {
            return HttpServletResponse.SC_ACCEPTED;
        }
        return HttpServletResponse.SC_OK;
    }

    record RunCleanupRequest(List<JobName> jobs, boolean explicitJob, boolean dryRun, Duration waitFor,
                             boolean evenIfPaused) {
    }

    static RunCleanupRequest parse(Map<String, String[]> parameters) {
        for (String name : parameters.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name + "'; known: job, dryRun, wait,"
                        + " evenIfPaused");
            }
        }
        String job = single(parameters, "job", "all");
        List<JobName> jobs = JobParameter.parse(job);
        boolean dryRun = flag(parameters, "dryRun");
        boolean evenIfPaused = flag(parameters, "evenIfPaused");
        String wait = single(parameters, "wait", Integer.toString(DEFAULT_WAIT_SECONDS));
        int seconds;
        try {
            seconds = Integer.parseInt(wait);
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 0 || seconds > MAX_WAIT_SECONDS) {
            throw new IllegalArgumentException("wait must be a whole number of seconds from 0 to " + MAX_WAIT_SECONDS
                    + "; was '" + wait + "'");
        }
        return new RunCleanupRequest(jobs, !"all".equals(job), dryRun, Duration.ofSeconds(seconds), evenIfPaused);
    }

    private static boolean flag(Map<String, String[]> parameters, String name) {
        String value = single(parameters, name, "false");
        if (!"true".equals(value) && !"false".equals(value)) {
            throw new IllegalArgumentException(name + " must be true or false; was '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    private static String single(Map<String, String[]> parameters, String name, String fallback) {
        String[] values = parameters.get(name);
        if (values == null || values.length == 0) {
            return fallback;
        }
        if (values.length > 1) {
            throw new IllegalArgumentException("parameter '" + name + "' was given " + values.length
                    + " times; give it once");
        }
        return values[0].trim();
    }
}
