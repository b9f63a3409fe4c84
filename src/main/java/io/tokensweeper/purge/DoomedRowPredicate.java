package io.tokensweeper.purge;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL condition that is true only for rows we may delete: marked (revoked/used) or expired, by the
 * database's clock; only expired when the target has no marker column ({@code none}). NULL never
 * qualifies (a NULL expiry never expires, a NULL flag is not set), so any doubt keeps the row.
 */
final class DoomedRowPredicate {
    private DoomedRowPredicate() {
    }

    static String sql(PurgeTarget target) {
        return or(parts(target).stream().map(Part::sql).toList());
    }

    /**
     * The same condition for the planner's estimate of how many rows are doomed: each cutoff written inline (the
     * planner reads now() at planning time, which it cannot do for the subqueries that {@link #sql} uses), and a
     * naive timestamp compared once, in its zone (the planner has no statistics for the instant it converts to,
     * and would guess a third of the rows for that comparison). Never used to choose rows.
     */
    static String forEstimates(PurgeTarget target) {
        return or(parts(target).stream().map(Part::estimateSql).toList());
    }

    private static String or(List<String> parts) {
        return parts.size() == 1 ? parts.get(0) : "(" + String.join(" OR ", parts) + ")";
    }

    /**
     * One way a row is doomed, on its own: the column it is judged by, the condition, and the condition as the
     * planner estimates it ({@link #forEstimates}).
     */
    record Part(String label, Column column, String sql, String estimateSql) {
    }

    /** How a cutoff is written: once per statement, exactly; or inline, for the planner's estimate. */
    private enum Form { EXACT, ESTIMATE }

    /** The predicate as its parts (marked, expired), each true only for doomed rows; their OR is {@link #sql}. */
    static List<Part> parts(PurgeTarget target) {
        List<Part> parts = new ArrayList<>();
        target.marker().ifPresent(marker -> marked(marker, target, Form.EXACT).ifPresent(marked -> parts.add(
                new Part("marked by " + marker.name(), marker, marked,
                        marked(marker, target, Form.ESTIMATE).orElseThrow()))));
        parts.add(new Part("expired by " + target.expiresAt().name(), target.expiresAt(),
                beforeCutoff(target.expiresAt(), target, Form.EXACT),
                beforeCutoff(target.expiresAt(), target, Form.ESTIMATE)));
        return parts;
    }

    private static Optional<String> marked(Column marker, PurgeTarget target, Form form) {
        boolean retained = !target.retention().isZero();
        if (marker.type() == ColumnType.BOOLEAN) {
            // A boolean cannot say when a row was revoked; with a retention period such rows are kept
            // until they expire plus that period (reuse detection needs them until then anyway).
            return retained ? Optional.empty() : Optional.of(marker.quoted() + " IS TRUE");
        }
        // A time in the future (a revocation scheduled ahead) has not happened yet: the row is live until then.
        return Optional.of(beforeCutoff(marker, target, form));
    }

    /**
     * Whether a value of the expiry column, given as an SQL expression of its type, is expired by the database's
     * clock: the expiry part of the predicate applied to that expression.
     */
    static String expired(PurgeTarget target, String expression) {
        return beforeCutoff(expression, target.expiresAt().type(), target, Form.EXACT);
    }

    private static String beforeCutoff(Column column, PurgeTarget target, Form form) {
        return beforeCutoff(column.quoted(), column.type(), target, form);
    }

    /**
     * A span of elapsed time as an SQL interval, exactly to the microsecond (PostgreSQL's resolution), a part of a
     * microsecond counted as a whole one: a longer retention keeps rows, never deletes them early. In hours and
     * seconds, which PostgreSQL subtracts as elapsed time (days would be calendar days, 23 or 25 hours across a
     * daylight-saving change in the session's zone); the seconds below an hour keep every microsecond in a double.
     */
    static String elapsed(Duration span) {
        long micros = Math.addExact(Math.multiplyExact(span.getSeconds(), 1_000_000L),
                (span.getNano() + 999) / 1_000);
        long hourMicros = 3_600_000_000L;
        return "make_interval(hours => " + micros / hourMicros + ", secs => "
                + BigDecimal.valueOf(micros % hourMicros, 6).toPlainString() + ")";
    }

    /**
     * column &lt; now() - retention. A naive timestamp is compared twice: once against the cutoff
     * converted to the configured zone (so an index on the column is used), and once converted to an
     * instant, which keeps the row if the local time is ambiguous around a daylight-saving change.
     */
    private static String beforeCutoff(String column, ColumnType type, PurgeTarget target, Form form) {
        // Each cutoff is a subquery: computed once per statement (an InitPlan), not once per row scanned, by the
        // database's clock at the transaction's start, as now() is.
        String open = form == Form.EXACT ? "(SELECT " : "(";
        String cutoff = "now() - " + elapsed(target.retention());
        if (type == ColumnType.TIMESTAMPTZ) {
            return column + " < " + open + cutoff + ")";
        }
        String zone = SqlZone.of(target.timestampZone());
        if (form == Form.ESTIMATE) {
            return column + " < (" + cutoff + ") AT TIME ZONE " + zone;
        }
        return "(" + column + " < " + open + "(" + cutoff + ") AT TIME ZONE " + zone + ")"
                + " AND (" + column + " AT TIME ZONE " + zone + ") < " + open + cutoff + "))";
    }
}
