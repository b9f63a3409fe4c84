package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tokensweeper.purge.DoomedRowCase.Row;
import io.tokensweeper.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The doomed-row predicate on the real PostgreSQL against {@link DoomedRowOracle}, over generated
 * tables ({@link DoomedRowCase}): fixed-offset and region zones, naive and zoned expiry and flag
 * columns, boolean flags, NULLs, {@code none}, retentions, and cutoffs near daylight-saving changes so
 * that naive times fall in gaps and overlaps. Each try is one transaction (now() is fixed in it) that
 * inserts the rows, selects the ids the predicate dooms and rolls back. The seed is random and printed
 * on failure; {@code -DdoomedRows.seed=N} repeats a run. A failing table is cut down, row by row, to
 * the rows that still disagree.
 */
class DoomedRowDifferentialTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    private static final int TRIES = 300;

    @BeforeAll
    static void createTables() {
        StringBuilder ddl = new StringBuilder();
        for (ColumnType expiry : List.of(ColumnType.TIMESTAMP, ColumnType.TIMESTAMPTZ)) {
            for (ColumnType flag : ColumnType.values()) {
                ddl.append("CREATE TABLE public.").append(DoomedRowCase.table(expiry, flag))
                        .append(" (id int PRIMARY KEY, expires_at ").append(sqlType(expiry))
                        .append(" NULL, flag ").append(sqlType(flag)).append(" NULL);\n");
            }
        }
        POSTGRES.database().execute(ddl.toString());
    }

    @Test
    void thePredicateDoomsExactlyTheRowsTheOracleDooms() throws SQLException {
        long seed = Long.getLong("doomedRows.seed", new SplittableRandom().nextLong());
        Coverage coverage = new Coverage();
        for (int i = 0; i < TRIES; i++) {
            Outcome outcome = run(DoomedRowCase.random(new SplittableRandom(seed + i)));
            if (!outcome.agrees()) {
                fail(smallestDisagreement(outcome).explain() + "\n  (try " + i + " of seed " + seed
                        + "; -DdoomedRows.seed=" + seed + " repeats the run)");
            }
            coverage.count(outcome);
        }
        coverage.check();
    }

    private static Outcome run(DoomedRowCase generated) throws SQLException {
        DataSource dataSource = POSTGRES.database().dataSource();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Instant now = now(connection);
                ZoneId zone = ZoneId.of(generated.zone());
                Duration retention = generated.retentionFor(zone, now);
                DoomedRowOracle oracle = new DoomedRowOracle(zone, retention, now);
                PurgeTarget target = new TargetCatalog(dataSource).resolve(generated.config(zone, retention));
                List<Row> rows = generated.rows(zone, oracle.cutoff());
                String table = "public." + generated.table();
                insert(connection, table, rows);
                String predicate = DoomedRowPredicate.sql(target);
                Set<Integer> expected = new TreeSet<>();
                for (Row row : rows) {
                    if (oracle.doomed(row.expiresAt(), generated.flag(), row.flag())) {
                        expected.add(row.id());
                    }
                }
                return new Outcome(generated, zone, now, retention, oracle, predicate, rows,
                        doomedIds(connection, table, predicate), expected);
            } finally {
                connection.rollback();
            }
        }
    }

    private static Outcome smallestDisagreement(Outcome failing) throws SQLException {
        Outcome smallest = failing;
        for (int i = failing.generated().specs().size() - 1; i >= 0 && smallest.rows().size() > 1; i--) {
            Outcome fewer = run(smallest.generated().withoutRow(i));
            if (!fewer.agrees()) {
                smallest = fewer;
            }
        }
        return smallest;
    }

    /** One try: what the predicate selected and what the oracle expected. */
    private record Outcome(DoomedRowCase generated, ZoneId zone, Instant now, Duration retention,
                           DoomedRowOracle oracle, String predicate, List<Row> rows, Set<Integer> selected,
                           Set<Integer> expected) {
        boolean agrees() {
            return selected.equals(expected);
        }

        String explain() {
            StringBuilder text = new StringBuilder("zone " + generated.zone() + ", expiry " + generated.expiry()
                    + ", flag " + generated.flag() + ", now " + now + ", retention " + retention + ", cutoff "
                    + oracle.cutoff() + " (" + LocalDateTime.ofInstant(oracle.cutoff(), zone) + " local)"
                    + "\n  predicate: " + predicate);
            for (Row row : rows) {
                boolean wronglyDoomed = selected.contains(row.id()) && !expected.contains(row.id());
                boolean wronglyKept = !selected.contains(row.id()) && expected.contains(row.id());
                if (wronglyDoomed || wronglyKept) {
                    text.append("\n  ").append(wronglyDoomed ? "WRONGLY DOOMED" : "wrongly kept").append(" id ")
                            .append(row.id()).append(": expires_at ").append(row.expiresAt())
                            .append(row.expiresAt() == null ? "" : " (latest reading "
                                    + oracle.latestReading(row.expiresAt()) + ")")
                            .append(", flag ").append(row.flag());
                }
            }
            return text.toString();
        }
    }

    /**
     * What the tries covered, checked after them, so that the test cannot pass by testing little: both
     * verdicts occurred often, and naive times fell in gaps and overlaps.
     */
    private static final class Coverage {
        private int doomed;
        private int kept;
        private int gapsOrOverlaps;

        void count(Outcome outcome) {
            doomed += outcome.expected().size();
            kept += outcome.rows().size() - outcome.expected().size();
            for (Row row : outcome.rows()) {
                for (Object value : new Object[] {row.expiresAt(), row.flag()}) {
                    if (value instanceof LocalDateTime local
                            && outcome.zone().getRules().getValidOffsets(local).size() != 1) {
                        gapsOrOverlaps++;
                    }
                }
            }
        }

        void check() {
            assertThat(doomed).as("doomed rows").isGreaterThan(TRIES);
            assertThat(kept).as("kept rows").isGreaterThan(TRIES);
            assertThat(gapsOrOverlaps).as("naive times in a gap or overlap").isGreaterThan(TRIES / 10);
        }
    }

    private static Instant now(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SELECT now()")) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    private static void insert(Connection connection, String table, List<Row> rows) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO " + table + " (id, expires_at, flag) VALUES (?, ?, ?)")) {
            for (Row row : rows) {
                statement.setInt(1, row.id());
                statement.setObject(2, jdbcValue(row.expiresAt()));
                statement.setObject(3, jdbcValue(row.flag()));
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    private static Object jdbcValue(Object value) {
        return value instanceof Instant instant ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC) : value;
    }

    private static Set<Integer> doomedIds(Connection connection, String table, String predicate) throws SQLException {
        Set<Integer> ids = new TreeSet<>();
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT id FROM " + table + " WHERE " + predicate)) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        return ids;
    }

    private static String sqlType(ColumnType type) {
        return switch (type) {
            case BOOLEAN -> "boolean";
            case TIMESTAMP -> "timestamp without time zone";
            case TIMESTAMPTZ -> "timestamp with time zone";
        };
    }
}
