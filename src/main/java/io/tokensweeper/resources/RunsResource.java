package io.tokensweeper.resources;

import io.tokensweeper.api.RunView;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.util.List;

/** {@code GET /runs?job=&limit=}: recent runs from the history, newest first. */
@Path("/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 500;

    private final PurgeService purgeService;

    public RunsResource(PurgeService purgeService) {
        this.purgeService = purgeService;
    }

    @GET
    public List<RunView> runs(@QueryParam("job") String job, @QueryParam("limit") String limit) throws SQLException {
        JobName jobName = null;
        if (job != null && !job.isBlank()) {
            jobName = JobName.fromId(job).orElseThrow(() -> new BadRequest(
                    "job must be one of " + JobName.validIds() + " (or absent for all); was '" + job + "'"));
        }
        return purgeService.history().recent(jobName, limit(limit)).stream().map(RunView::of).toList();
    }

    private static int limit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int value = Integer.parseInt(limit.trim());
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequest("limit must be a whole number from 1 to " + MAX_LIMIT + "; was '" + limit + "'");
    }
}
