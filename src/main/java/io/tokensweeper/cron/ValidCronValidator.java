package io.tokensweeper.cron;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

/** Says what is wrong with an expression, quoting it; the key is added by the validation framework. */
public class ValidCronValidator implements ConstraintValidator<ValidCron, String> {
    @Override
    public boolean isValid(String value, ConstraintValidatorContext context) {
        if (value == null) {
            return true;
        }
        try {
            CronTranslator.toQuartz(value);
            return true;
        } catch (InvalidCronException e) {
            context.disableDefaultConstraintViolation();
            context.buildConstraintViolationWithTemplate(escape("is not a valid cron expression '" + value + "': "
                    + e.getMessage())).addConstraintViolation();
            return false;
        }
    }

    /** The message is a template: user text must not be read as {placeholders} or ${expressions}. */
    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("$", "\\$");
    }
}
