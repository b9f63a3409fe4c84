package io.tokensweeper.cron;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A Unix (5 fields) or Quartz (6-7 fields) cron expression that {@link CronTranslator} accepts. */
@Target({ElementType.FIELD, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = ValidCronValidator.class)
public @interface ValidCron {
    String message() default "is not a valid cron expression";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
