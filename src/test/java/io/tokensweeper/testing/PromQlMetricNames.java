package io.tokensweeper.testing;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads. Not a PromQL parser: enough for alert rules and dashboards, and
 * strict in the direction that matters (a word it cannot place counts as a metric name, so a test fails).
 */
public final class PromQlMetricNames {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> NOT_METRICS = Set.of(
            // aggregation operators, which may be followed by a by/without clause rather than "("
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
            "quantile", "limitk", "limit_ratio",
            "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
            "atan2", "inf", "nan");

    private PromQlMetricNames() {
    }

    public static Set<String> in(String expr) {
        String words = expr
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'|`[^`]*`", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", " ") // label matchers, Grafana variables among them
                .replaceAll("\\[[^]]*]", " ") // ranges and subqueries, $__rate_interval among them
                .replaceAll("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " $1 ");
        Set<String> names = new TreeSet<>();
        Matcher word = IDENTIFIER.matcher(words);
        while (word.find()) {
            char before = word.start() == 0 ? ' ' : words.charAt(word.start() - 1);
            boolean partOfNumberOrVariable = Character.isDigit(before) || before == '.' || before == '$';
            if (!partOfNumberOrVariable && !NOT_METRICS.contains(word.group().toLowerCase(Locale.ROOT))
                    && !isFunctionCall(words, word.end())) {
                names.add(word.group());
            }
        }
        return names;
    }

    private static boolean isFunctionCall(String words, int end) {
        int next = end;
        while (next < words.length() && Character.isWhitespace(words.charAt(next))) {
            next++;
        }
        return next < words.length() && words.charAt(next) == '(';
    }
}
