package io.tokensweeper.scheduler;

import io.tokensweeper.cron.CronTranslator;
import io.tokensweeper.cron.InvalidCronException;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.TargetFactory;
import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.TimeZone;
import org.quartz.CronExpression;
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

    /** The first fire time after {@code after} by this schedule alone (the cluster's trigger may know better). */
    public Optional<Instant> nextFireAfter(Instant after) {
        try {
            CronExpression expression = new CronExpression(quartzCron);
            expression.setTimeZone(TimeZone.getTimeZone(zone));
            return Optional.ofNullable(expression.getNextValidTimeAfter(Date.from(after))).map(Date::toInstant);
        } catch (ParseException e) {
            throw new IllegalStateException("the Quartz form of a validated cron does not parse: " + quartzCron, e);
        }
    }

    public JobKey jobKey() {
        return JobKey.jobKey(job.id(), GROUP);
    }

    public TriggerKey triggerKey() {
        return TriggerKey.triggerKey(job.id() + "-cron", GROUP);
    }
}
