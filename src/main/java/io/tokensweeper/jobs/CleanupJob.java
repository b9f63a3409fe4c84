package io.tokensweeper.jobs;

import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeRequest;
import io.tokensweeper.purge.PurgeResult;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.purge.RunTrigger;
import java.time.Instant;
import java.util.UUID;
import org.quartz.Job;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Quartz job that purges one target. Thin on purpose: it works out who fired it and hands over to
 * the {@link PurgeService}, which records and logs everything; a failed purge never escapes as an
 * exception that Quartz would retry or log without context.
 */
public abstract class CleanupJob implements Job {
    private static final Logger LOG = LoggerFactory.getLogger(CleanupJob.class);

    /** Scheduler-context key under which the node's {@link PurgeService} is found. */
    public static final String PURGE_SERVICE = "purgeService";
    /** Job data keys set on a manual trigger. */
    public static final String TRIGGER_KIND = "trigger";
    public static final String DRY_RUN = "dryRun";
    public static final String REQUEST_ID = "requestId";

    protected abstract JobName job();

    @Override
    public void execute(JobExecutionContext context) throws JobExecutionException {
        PurgeService purgeService;
        try {
            purgeService = (PurgeService) context.getScheduler().getContext().get(PURGE_SERVICE);
        } catch (SchedulerException e) {
            throw new JobExecutionException("No purge service in the scheduler context", e, false);
        }
        if (!purgeService.isEnabled(job())) {
            // Another node, configured differently, keeps this job's schedule in the cluster.
            LOG.warn("Purge {} fired on node {}, where it is disabled in configuration; not run here. Give every"
                    + " node the same cleanup configuration.", job(), purgeService.nodeId());
            return;
        }
        PurgeResult result = purgeService.run(job(), request(context));
        context.setResult(result);
    }

    static PurgeRequest request(JobExecutionContext context) {
        JobDataMap data = context.getMergedJobDataMap();
        if (context.isRecovering()) {
            Instant originalFireTime = data.containsKey(Scheduler.FAILED_JOB_ORIGINAL_TRIGGER_FIRETIME_IN_MILLISECONDS)
                    ? Instant.ofEpochMilli(data.getLong(Scheduler.FAILED_JOB_ORIGINAL_TRIGGER_FIRETIME_IN_MILLISECONDS))
                    : null;
            // The request id stays with the run that was cut short; the recovery run is a run of its own.
            return new PurgeRequest(RunTrigger.RECOVERY, originalFireTime, data.getBooleanValue(DRY_RUN));
        }
        if (RunTrigger.MANUAL.id().equals(data.getString(TRIGGER_KIND))) {
            String requestId = data.getString(REQUEST_ID);
            return PurgeRequest.manual(data.getBooleanValue(DRY_RUN),
                    requestId == null ? null : UUID.fromString(requestId));
        }
        return new PurgeRequest(RunTrigger.CRON, context.getScheduledFireTime().toInstant(), false);
    }
}
