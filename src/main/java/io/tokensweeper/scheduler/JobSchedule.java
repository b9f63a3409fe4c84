package io.tokensweeper.scheduler;

import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.TargetFactory;
import java.util.ArrayList;
import java.util.List;
import java.time.ZoneId;
import org.quartz.JobKey;
import org.quartz.TriggerKey;

/** When a job fires: its cron as configured, the Quartz form, and the zone it is read in. */
public record JobSchedule(JobName job, boolean enabled, String cron, String quartzCron, ZoneId zone) {
    static final String GROUP = "token-sweeper";

    public static List<JobSchedule> from(CleanupFactory cleanup) {
        List<JobSchedule> schedules = new ArrayList<>();
        for (TargetFactory target : cleanup.targets()) {
            schedules.add(of(target, cleanup.getTimeZone()));
        }
        return schedules;
    }

    static JobSchedule of(TargetFactory target, ZoneId zone) {
        try {
            return new JobSchedule(target.job(), target.isEnabled(), target.getCron(),
                    CronTranslator.toQuartz(target.getCron()), zone);
        } catch (InvalidCronException e) {
            throw new InvalidCronException(target.cronVariable() + " (" + target.configPath() + ".cron) '"
                    + target.getCron() + "' is not a valid cron expression: " + e.getMessage());
        }
    }

    public JobKey jobKey() {
        return JobKey.jobKey(job.id(), GROUP);
    }

    public TriggerKey triggerKey() {
        return TriggerKey.triggerKey(job.id() + "-cron", GROUP);
    }
}
