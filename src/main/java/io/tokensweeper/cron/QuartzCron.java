package io.tokensweeper.cron;

import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.Optional;
import java.util.TimeZone;
import org.quartz.CronExpression;

/** A Quartz cron expression, as {@link CronTranslator} returns it, read in a zone. */
public final class QuartzCron {
    private QuartzCron() {
    }

    /** The zone as Quartz takes it: every trigger and expression is read in this. */
    public static TimeZone timeZone(ZoneId zone) {
        return TimeZone.getTimeZone(zone);
    }

    /** The first fire time after {@code after}; empty when the expression never fires again. */
    public static Optional<Instant> nextFireAfter(String quartzCron, ZoneId zone, Instant after) {
        try {
            CronExpression expression = new CronExpression(quartzCron);
            expression.setTimeZone(timeZone(zone));
            return Optional.ofNullable(expression.getNextValidTimeAfter(Date.from(after))).map(Date::toInstant);
        } catch (ParseException e) {
            throw new InvalidCronException("not a valid Quartz expression: " + e.getMessage());
        }
    }
}
