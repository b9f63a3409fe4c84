package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How many of a run's doomed rows lie in no physical order, against the table's pages. The index walk visits the
 * heap page of each row it deletes; rows whose keys follow the heap's order share their visits (the expired rows
 * of a table appended in creation order sit together at its front), rows in no order cost a visit each. Once
 * those outnumber the table's pages, reading every page once in order (the heap walk) is cheaper: measured on
 * 6,000,000 rows on 67,000 pages, the index walk took as long as the heap walk at 70,000 rows in no order and
 * 1.1-1.4 times as long at 93,000; at 31,000 it took 0.6 times as long (bench/FINDINGS.md).
 *
 * <p>Each part of the predicate counts as many rows as the planner estimates it holds, times {@code 1 - c²},
 * where c is the correlation between its walk's key and the heap's order from the table's statistics (the
 * interpolation the planner uses to cost an index scan). Statistics that lack a key's correlation take its rows
 * as ordered: the walk the row share chose stands.
 */
final class ScatteredRows {
    private final double rows;
    private final double pages;
    /** Each key's correlation with the heap's order, empty where the statistics have none. */
    private final Map<String, Optional<Double>> correlations;

    private ScatteredRows(double rows, double pages, Map<String, Optional<Double>> correlations) {
        this.rows = rows;
        this.pages = pages;
        this.correlations = correlations;
    }

    /**
     * {@code keys}: the key column each part of the predicate is walked by, in the parts' order; {@code doomed}:
     * the planner's estimate of the whole predicate's rows (a row both expired and revoked is in two parts).
     */
    static ScatteredRows estimate(Connection connection, PurgeTarget target, long tableOid, List<String> keys,
                                  double doomed) throws SQLException {
        List<DoomedRowPredicate.Part> parts = DoomedRowPredicate.partsForEstimates(target);
        Map<String, Optional<Double>> correlations = new LinkedHashMap<>();
        double rows = 0;
        for (int i = 0; i < parts.size(); i++) {
            String key = keys.get(i);
            if (!correlations.containsKey(key)) {
                correlations.put(key, correlation(connection, tableOid, key));
            }
            Optional<Double> correlation = correlations.get(key);
            double partRows = MethodChooser.plan(connection, "SELECT 1 FROM ONLY " + target.qualifiedTable()
                    + " WHERE " + parts.get(i).sql()).path("Plan Rows").asDouble();
            rows += partRows * correlation.map(c -> 1 - c * c).orElse(0.0);
        }
        double pages = Jdbc.one(connection, "SELECT relpages FROM pg_class WHERE oid = ?::bigint::oid",
                rs -> rs.getDouble(1), tableOid);
        return new ScatteredRows(Math.min(rows, doomed), pages, correlations);
    }

    private static Optional<Double> correlation(Connection connection, long tableOid, String column)
            throws SQLException {
        return Jdbc.first(connection, "SELECT s.correlation FROM pg_stats s"
                + " JOIN pg_class c ON c.relname = s.tablename"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname"
                + " WHERE c.oid = ?::bigint::oid AND s.attname = ? AND NOT s.inherited"
                + " AND s.correlation IS NOT NULL", rs -> rs.getDouble(1), tableOid, column);
    }

    /** More rows in no order than the table has pages. */
    boolean outnumberPages() {
        return pages > 0 && rows >= pages;
    }

    String describe() {
        StringBuilder order = new StringBuilder();
        correlations.forEach((key, correlation) -> order.append(order.isEmpty() ? "" : ", ").append(key)
                .append(correlation.map(c -> String.format(Locale.ROOT, " %.2f", c)).orElse(" not in the statistics,"
                        + " taken as ordered")));
        return String.format(Locale.ROOT, "about %,.0f of them in no physical order against the table's %,.0f"
                + " pages (correlation with the heap's order: %s)", rows, pages, order);
    }
}
