package io.tokensweeper.scheduler;

import io.tokensweeper.cron.QuartzCron;
import io.tokensweeper.jobs.CleanupJobs;
import java.util.List;
import java.util.Objects;
import org.quartz.CronScheduleBuilder;
import org.quartz.CronTrigger;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the cluster's stored jobs and triggers in line with this node's configuration at start:
 * creates what is missing, replaces a trigger whose cron, zone or misfire policy changed, keeps one
 * that did not (so its next fire time and state survive restarts), and removes disabled jobs' triggers.
 * Every node does this at start, so two nodes started at once may race; losing a race is not an error.
 */
final class ScheduleSync {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleSync.class);
    static final String SCHEDULED_BY = "scheduledBy";

    private final Scheduler scheduler;
    private final String nodeId;
    private final int misfireInstruction;

    ScheduleSync(Scheduler scheduler, String nodeId, String misfirePolicy) {
        this.scheduler = scheduler;
        this.nodeId = nodeId;
        this.misfireInstruction = ClusterSchedulerFactory.MISFIRE_SKIP.equals(misfirePolicy)
                ? CronTrigger.MISFIRE_INSTRUCTION_DO_NOTHING
                : CronTrigger.MISFIRE_INSTRUCTION_FIRE_ONCE_NOW;
    }

    void apply(List<JobSchedule> schedules) throws SchedulerException {
        for (JobSchedule schedule : schedules) {
            if (schedule.enabled()) {
                ensureJob(schedule);
                ensureTrigger(schedule);
            } else if (scheduler.unscheduleJob(schedule.triggerKey())) {
                LOG.warn("Purge {} is disabled in this node's configuration: removed its schedule from the cluster."
                        + " A node with it enabled will put it back at its next start.", schedule.job());
            }
        }
    }

    private void ensureJob(JobSchedule schedule) throws SchedulerException {
        JobDetail wanted = JobBuilder.newJob(CleanupJobs.classFor(schedule.job()))
                .withIdentity(schedule.jobKey())
                .withDescription("Purge " + schedule.job())
                .storeDurably()
                .requestRecovery()
                .build();
        JobDetail stored = scheduler.getJobDetail(schedule.jobKey());
        if (stored == null) {
            try {
                scheduler.addJob(wanted, false);
            } catch (ObjectAlreadyExistsException raced) {
                LOG.debug("Job {} was stored by another node meanwhile", schedule.jobKey());
            }
        } else if (!stored.getJobClass().equals(wanted.getJobClass()) || !stored.requestsRecovery()) {
            scheduler.addJob(wanted, true, true);
        }
    }

    private void ensureTrigger(JobSchedule schedule) throws SchedulerException {
        CronTrigger wanted = TriggerBuilder.newTrigger()
                .withIdentity(schedule.triggerKey())
                .forJob(schedule.jobKey())
                .usingJobData(SCHEDULED_BY, nodeId)
                .withSchedule(withMisfirePolicy(CronScheduleBuilder.cronSchedule(schedule.quartzCron())
                        .inTimeZone(QuartzCron.timeZone(schedule.zone()))))
                .build();
        Trigger stored = scheduler.getTrigger(schedule.triggerKey());
        if (stored == null) {
            try {
                scheduler.scheduleJob(wanted);
                LOG.info("Scheduled purge {} at '{}' (Quartz '{}') in {}", schedule.job(), schedule.cron(),
                        schedule.quartzCron(), schedule.zone());
                return;
            } catch (ObjectAlreadyExistsException raced) {
                stored = scheduler.getTrigger(schedule.triggerKey());
            }
        }
        if (sameSchedule(stored, wanted)) {
            LOG.info("Purge {} keeps its stored schedule '{}' (Quartz '{}') in {}", schedule.job(), schedule.cron(),
                    schedule.quartzCron(), schedule.zone());
            return;
        }
        String storedBy = stored.getJobDataMap().getString(SCHEDULED_BY);
        String storedCron = stored instanceof CronTrigger cron ? cron.getCronExpression() : stored.toString();
        String storedZone = stored instanceof CronTrigger cron ? cron.getTimeZone().getID() : "?";
        LOG.warn("Purge {}: the cluster's stored schedule is Quartz '{}' in {} (set by node {}), this node's"
                        + " configuration says '{}' (Quartz '{}') in {}: replacing it. If another node runs with the"
                        + " other setting, each will replace the other's at start: give every node the same"
                        + " configuration.", schedule.job(), storedCron, storedZone, storedBy, schedule.cron(),
                schedule.quartzCron(), schedule.zone());
        boolean paused = scheduler.getTriggerState(schedule.triggerKey()) == Trigger.TriggerState.PAUSED;
        scheduler.rescheduleJob(schedule.triggerKey(), wanted);
        if (paused) {
            // An operator paused it; a new cron expression is no reason to start purging again.
            scheduler.pauseTrigger(schedule.triggerKey());
        }
    }

    private CronScheduleBuilder withMisfirePolicy(CronScheduleBuilder builder) {
        return misfireInstruction == CronTrigger.MISFIRE_INSTRUCTION_DO_NOTHING
                ? builder.withMisfireHandlingInstructionDoNothing()
                : builder.withMisfireHandlingInstructionFireAndProceed();
    }

    private static boolean sameSchedule(Trigger stored, CronTrigger wanted) {
        return stored instanceof CronTrigger cron
                && Objects.equals(cron.getCronExpression(), wanted.getCronExpression())
                && Objects.equals(cron.getTimeZone().getID(), wanted.getTimeZone().getID())
                && cron.getMisfireInstruction() == wanted.getMisfireInstruction()
                && Objects.equals(cron.getJobKey(), wanted.getJobKey());
    }
}
