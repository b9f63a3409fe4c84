package io.tokensweeper.cron;

import java.text.ParseException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.quartz.CronExpression;

/**
 * Turns the cron expressions users write into Quartz's. Five fields are Unix cron
 * ({@code minute hour day-of-month month day-of-week}, day-of-week 0-7 with 0 and 7 both Sunday, names
 * allowed, {@code @daily} and friends); six or seven fields are Quartz cron and are only validated.
 * Quartz counts days of week 1-7 from Sunday and needs {@code ?} in one of the two day fields.
 */
public final class CronTranslator {
    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0", "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");

    private static final CronField MINUTE = new CronField("minute", 0, 59, Map.of());
    private static final CronField HOUR = new CronField("hour", 0, 23, Map.of());
    private static final CronField DAY_OF_MONTH = new CronField("day-of-month", 1, 31, Map.of());
    private static final CronField MONTH = new CronField("month", 1, 12, Map.ofEntries(
            Map.entry("JAN", 1), Map.entry("FEB", 2), Map.entry("MAR", 3), Map.entry("APR", 4),
            Map.entry("MAY", 5), Map.entry("JUN", 6), Map.entry("JUL", 7), Map.entry("AUG", 8),
            Map.entry("SEP", 9), Map.entry("OCT", 10), Map.entry("NOV", 11), Map.entry("DEC", 12)));
    private static final CronField DAY_OF_WEEK = new CronField("day-of-week", 0, 7, Map.of(
            "SUN", 0, "MON", 1, "TUE", 2, "WED", 3, "THU", 4, "FRI", 5, "SAT", 6));

    private CronTranslator() {
    }

    /** The Quartz form of {@code expression}; throws {@link InvalidCronException} saying what is wrong. */
    public static String toQuartz(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new InvalidCronException("the expression is empty");
        }
        String trimmed = expression.trim();
        if (trimmed.startsWith("@")) {
            String macro = MACROS.get(trimmed.toLowerCase(Locale.ROOT));
            if (macro == null) {
                throw new InvalidCronException("unknown macro " + trimmed + "; known: " + String.join(", ",
                        new TreeSet<>(MACROS.keySet())));
            }
            trimmed = macro;
        }
        String[] fields = trimmed.split("\\s+");
        if (fields.length == 6 || fields.length == 7) {
            return validQuartz(String.join(" ", fields));
        }
        if (fields.length != 5) {
            throw new InvalidCronException("expected 5 fields (Unix cron: minute hour day-of-month month"
                    + " day-of-week) or 6-7 fields (Quartz cron), found " + fields.length);
        }
        boolean anyDayOfMonth = "*".equals(fields[2]);
        boolean anyDayOfWeek = "*".equals(fields[4]);
        if (!anyDayOfMonth && !anyDayOfWeek) {
            throw new InvalidCronException("both day-of-month (" + fields[2] + ") and day-of-week (" + fields[4]
                    + ") are restricted: Unix cron then runs on days matching either, which Quartz cannot"
                    + " express; restrict only one of them, or write a Quartz expression");
        }
        String quartz = "0 " + MINUTE.translate(fields[0]) + " " + HOUR.translate(fields[1]) + " "
                + (anyDayOfWeek ? DAY_OF_MONTH.translate(fields[2]) : "?") + " "
                + MONTH.translate(fields[3]) + " "
                + (anyDayOfWeek ? "?" : quartzDaysOfWeek(fields[4]));
        return validQuartz(quartz);
    }

    /** Unix days 0-7 (0 and 7 Sunday) to Quartz's 1-7 (1 Sunday), as a compact list. */
    private static String quartzDaysOfWeek(String field) {
        TreeSet<Integer> quartzDays = new TreeSet<>();
        for (int unixDay : DAY_OF_WEEK.values(field)) {
            quartzDays.add(unixDay % 7 + 1);
        }
        return CronField.compact(quartzDays);
    }

    private static String validQuartz(String expression) {
        try {
            CronExpression.validateExpression(expression);
            return expression;
        } catch (ParseException e) {
            throw new InvalidCronException("not a valid Quartz expression: " + e.getMessage());
        }
    }
}
