package io.tokensweeper.cron;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** One field of a Unix cron expression: its range, its names, and the parsing of lists, ranges and steps. */
record CronField(String name, int min, int max, Map<String, Integer> names) {

    /** Quartz form of this field: {@code *} stays, single values and ranges stay readable, steps are expanded. */
    String translate(String field) {
        if ("*".equals(field)) {
            return "*";
        }
        List<String> parts = new ArrayList<>();
        for (String part : field.split(",", -1)) {
            if (part.contains("/")) {
                parts.add(compact(values(part)));
            } else if (part.contains("-")) {
                int[] bounds = range(part, part);
                parts.add(bounds[0] + "-" + bounds[1]);
            } else {
                parts.add(Integer.toString(value(part, part)));
            }
        }
        return String.join(",", parts);
    }

    /** Every value this field matches. */
    TreeSet<Integer> values(String field) {
        TreeSet<Integer> values = new TreeSet<>();
        for (String part : field.split(",", -1)) {
            String range = part;
            int step = 1;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), part);
                if (step < 1) {
                    throw new InvalidCronException(name + " step in '" + part + "' must be at least 1");
                }
            }
            int from;
            int to;
            if ("*".equals(range)) {
                from = min;
                to = max;
            } else if (range.contains("-")) {
                int[] bounds = range(range, part);
                from = bounds[0];
                to = bounds[1];
            } else {
                from = value(range, part);
                to = slash >= 0 ? max : from;
            }
            for (int v = from; v <= to; v += step) {
                values.add(v);
            }
        }
        return values;
    }

    /** {@code from-to} as {from, to}; anything but exactly two bounds in order is refused, never truncated. */
    private int[] range(String range, String part) {
        String[] bounds = range.split("-", -1);
        if (bounds.length != 2) {
            throw new InvalidCronException(name + " '" + part + "' is not a valid range");
        }
        int from = value(bounds[0], part);
        int to = value(bounds[1], part);
        if (from > to) {
            throw new InvalidCronException(name + " range '" + part + "' runs backwards");
        }
        return new int[] {from, to};
    }

    private int value(String token, String part) {
        Integer named = names.get(token.toUpperCase(Locale.ROOT));
        int value = named != null ? named : number(token, part);
        if (value < min || value > max) {
            throw new InvalidCronException(name + " " + value + " in '" + part + "' is out of range " + min + "-" + max);
        }
        return value;
    }

    private int number(String token, String part) {
        if (token.isEmpty() || !token.chars().allMatch(Character::isDigit) || token.length() > 4) {
            throw new InvalidCronException(name + " '" + part + "' is not a number, range, list or step"
                    + (names.isEmpty() ? "" : " (names allowed: " + String.join(", ", new TreeSet<>(names.keySet())) + ")"));
        }
        return Integer.parseInt(token);
    }

    /** 1,2,3,5 becomes 1-3,5. */
    static String compact(TreeSet<Integer> values) {
        List<String> parts = new ArrayList<>();
        Integer start = null;
        Integer previous = null;
        for (int value : values) {
            if (start == null) {
                start = value;
            } else if (value != previous + 1) {
                parts.add(run(start, previous));
                start = value;
            }
            previous = value;
        }
        if (start != null) {
            parts.add(run(start, previous));
        }
        return String.join(",", parts);
    }

    private static String run(int start, int end) {
        if (start == end) {
            return Integer.toString(start);
        }
        return end == start + 1 ? start + "," + end : start + "-" + end;
    }
}
