package io.tokensweeper.purge;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The SQL condition that is true only for rows we may delete: marked (revoked/used) or expired, by the
 * database's clock; only expired when the target has no marker column ({@code none}). NULL never
 * qualifies (a NULL expiry never expires, a NULL flag is not set), so any doubt keeps the row.
 */
final class DoomedRowPredicate {
    private DoomedRowPredicate() {
    }

    static String sql(PurgeTarget target) {
        List<Part> parts = parts(target);
        return parts.size() == 1 ? parts.get(0).sql()
                : "(" + parts.stream().map(Part::sql).collect(Collectors.joining(" OR ")) + ")";
    }

    /** One way a row is doomed, on its own: the column it is judged by, and the condition. */
    record Part(String label, Column column, String sql) {
    }

    /** The predicate as its parts (marked, expired), each true only for doomed rows; their OR is {@link #sql}. */
    static List<Part> parts(PurgeTarget target) {
        List<Part> parts = new ArrayList<>();
        target.marker().ifPresent(marker -> marked(marker, target)
                .ifPresent(marked -> parts.add(new Part("marked by " + marker.name(), marker, marked))));
        parts.add(new Part("expired by " + target.expiresAt().name(), target.expiresAt(),
                beforeCutoff(target.expiresAt(), target)));
        return parts;
    }

    private static Optional<String> marked(Column marker, PurgeTarget target) {
        boolean retained = !target.retention().isZero();
        if (marker.type() == ColumnType.BOOLEAN) {
            // A boolean cannot say when a row was revoked; with a retention period such rows are kept
            // until they expire plus that period (reuse detection needs them until then anyway).
            return retained ? Optional.empty() : Optional.of(marker.quoted() + " IS TRUE");
        }
        return Optional.of(retained ? beforeCutoff(marker, target) : marker.quoted() + " IS NOT NULL");
    }

    /**
     * Whether a value of the expiry column, given as an SQL expression of its type, is expired by the database's
     * clock: the expiry part of the predicate applied to that expression.
     */
    static String expired(PurgeTarget target, String expression) {
        return beforeCutoff(expression, target.expiresAt().type(), target);
    }

    private static String beforeCutoff(Column column, PurgeTarget target) {
        return beforeCutoff(column.quoted(), column.type(), target);
    }

    /**
     * column &lt; now() - retention. A naive timestamp is compared twice: once against the cutoff
     * converted to the configured zone (so an index on the column is used), and once converted to an
     * instant, which keeps the row if the local time is ambiguous around a daylight-saving change.
     */
    private static String beforeCutoff(String column, ColumnType type, PurgeTarget target) {
        String cutoff = "(now() - make_interval(secs => " + target.retention().toSeconds() + "))";
        if (type == ColumnType.TIMESTAMPTZ) {
            return column + " < " + cutoff;
        }
        String zone = SqlZone.of(target.timestampZone());
        return "(" + column + " < (" + cutoff + " AT TIME ZONE " + zone + ")"
                + " AND (" + column + " AT TIME ZONE " + zone + ") < " + cutoff + ")";
    }
}
