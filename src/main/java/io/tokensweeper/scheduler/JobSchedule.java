package io.tokensweeper.scheduler;

import io.tokensweeper.cron.CronTranslator;
import io.tokensweeper.cron.QuartzCron;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.TargetFactory;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
        // The configuration's validation has refused any cron this could throw for.
        return new JobSchedule(target.job(), target.isEnabled(), target.getCron(),
                CronTranslator.toQuartz(target.getCron()), zone);
    }

    /** The first fire time after {@code after} by this schedule alone (the cluster's trigger may know better). */
    public Optional<Instant> nextFireAfter(Instant after) {
        return QuartzCron.nextFireAfter(quartzCron, zone, after);
    }

    public JobKey jobKey() {
        return JobKey.jobKey(job.id(), GROUP);
    }

    public TriggerKey triggerKey() {
        return TriggerKey.triggerKey(job.id() + "-cron", GROUP);
    }
}
