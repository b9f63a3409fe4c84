package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.purge.DoomedRowOracle.FlagKind;
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
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The doomed-row predicate on the real PostgreSQL against {@link DoomedRowOracle}, over generated
 * tables: fixed-offset and region zones, naive and zoned expiry and flag columns, boolean flags, NULLs,
 * {@code none}, retentions. The retention is chosen so that the cutoff ({@code now() - retention}) lands
 * near one of the zone's recent daylight-saving changes, and the rows' times lie around the cutoff, so
 * gaps and overlaps are crossed. Each try is one transaction (now() is fixed in it) that inserts the
 * rows, selects the ids the predicate dooms and rolls back.
 */
class DoomedRowDifferentialTest {
    private static final List<String> ZONES = List.of("-05:00", "+05:30", "UTC-03:00", "GMT-5", "Etc/GMT+5", "Z",
            "America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "UTC");
    private static final int TRIES = 300;
    private static final long FOUR_HOURS = 4 * 3600;
    private static final long THREE_HOURS = 3 * 3600;
    private static final long FOUR_HUNDRED_DAYS = 400 * 86400;

    // jqwik is an engine of its own, outside Jupiter's extension model: the callbacks are called here.
    private static final PostgresExtension POSTGRES = new PostgresExtension();
    private static final Coverage COVERAGE = new Coverage();

    @BeforeContainer
    static void createTables() throws SQLException {
        POSTGRES.beforeAll(null);
        StringBuilder ddl = new StringBuilder();
        for (ColumnType expiry : List.of(ColumnType.TIMESTAMP, ColumnType.TIMESTAMPTZ)) {
            for (ColumnType flag : ColumnType.values()) {
                ddl.append("CREATE TABLE public.").append(table(expiry, flag))
                        .append(" (id int PRIMARY KEY, expires_at ").append(sqlType(expiry))
                        .append(" NULL, flag ").append(sqlType(flag)).append(" NULL);\n");
            }
        }
        POSTGRES.database().execute(ddl.toString());
    }

    @AfterContainer
    static void dropDatabaseAndCheckCoverage() throws SQLException {
        POSTGRES.afterAll(null);
        COVERAGE.check();
    }

    @Property(tries = TRIES, shrinking = ShrinkingMode.BOUNDED)
    void thePredicateDoomsExactlyTheRowsTheOracleDooms(@ForAll("cases") GeneratedCase generated) throws SQLException {
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
                Set<Integer> selected = doomedIds(connection, table, predicate);
                Set<Integer> expected = new TreeSet<>();
                for (Row row : rows) {
                    if (oracle.doomed(row.expiresAt(), generated.flag(), row.flag())) {
                        expected.add(row.id());
                    }
                    COVERAGE.count(row, zone);
                }
                COVERAGE.countTry(expected.size(), rows.size() - expected.size());
                assertThat(selected).as(() -> explain(generated, zone, now, retention, predicate, rows, selected,
                        expected, oracle)).isEqualTo(expected);
            } finally {
                connection.rollback();
            }
        }
    }

    @Provide
    Arbitrary<GeneratedCase> cases() {
        Arbitrary<Long> nearCutoff = Arbitraries.longs().between(-FOUR_HOURS, FOUR_HOURS);
        Arbitrary<Long> farFromCutoff = Arbitraries.longs().between(-FOUR_HUNDRED_DAYS, FOUR_HUNDRED_DAYS);
        Arbitrary<Long> shift = Arbitraries.frequencyOf(
                Tuple.of(8, nearCutoff), Tuple.of(1, farFromCutoff)).injectNull(0.15);
        Arbitrary<RowSpec> row = Combinators.combine(shift, shift,
                Arbitraries.of(true, false).injectNull(0.2)).as(RowSpec::new);
        return Combinators.combine(
                Arbitraries.of(ZONES),
                Arbitraries.of(ColumnType.TIMESTAMP, ColumnType.TIMESTAMPTZ),
                Arbitraries.of(FlagKind.class),
                Arbitraries.integers().between(0, 8),
                Arbitraries.longs().between(-THREE_HOURS, THREE_HOURS),
                row.list().ofMinSize(1).ofMaxSize(25)).as(GeneratedCase::new);
    }

    /**
     * One generated table. {@code anchor} picks one of the zone's daylight-saving changes of the last two
     * years (or now) and {@code delta} how far from it the cutoff lies; row times are seconds from the
     * cutoff, NULL when the shift is null.
     */
    record GeneratedCase(String zone, ColumnType expiry, FlagKind flag, int anchor, long delta, List<RowSpec> specs) {

        Duration retentionFor(ZoneId zoneId, Instant now) {
            List<Instant> transitions = recentTransitions(zoneId.getRules(), now);
            int index = anchor % (transitions.size() + 1);
            Instant aim = index == transitions.size() ? now.minusSeconds(Math.abs(delta))
                    : transitions.get(index).plusSeconds(delta);
            return Duration.ofSeconds(Math.max(0, Duration.between(aim, now).getSeconds()));
        }

        private static List<Instant> recentTransitions(ZoneRules rules, Instant now) {
            List<Instant> transitions = new ArrayList<>();
            Instant oldest = now.minus(730, ChronoUnit.DAYS);
            ZoneOffsetTransition transition = rules.previousTransition(now.minusSeconds(FOUR_HOURS));
            while (transition != null && transition.getInstant().isAfter(oldest)) {
                transitions.add(transition.getInstant());
                transition = rules.previousTransition(transition.getInstant());
            }
            return transitions;
        }

        TargetFactory config(ZoneId zoneId, Duration retention) {
            String flagColumn = flag == FlagKind.NONE ? "none" : "flag";
            TargetFactory config = PurgeFixture.refreshTokensOnly("public", table(), "expires_at", flagColumn)
                    .getRefreshTokens();
            config.setTimestampZone(zoneId);
            config.setRetention(io.dropwizard.util.Duration.seconds(retention.getSeconds()));
            return config;
        }

        String table() {
            ColumnType flagType = switch (flag) {
                case NONE, BOOLEAN -> ColumnType.BOOLEAN;
                case TIMESTAMP -> ColumnType.TIMESTAMP;
                case TIMESTAMPTZ -> ColumnType.TIMESTAMPTZ;
            };
            return DoomedRowDifferentialTest.table(expiry, flagType);
        }

        List<Row> rows(ZoneId zoneId, Instant cutoff) {
            List<Row> rows = new ArrayList<>();
            for (RowSpec spec : specs) {
                Object expiresAt = value(expiry, spec.expiryShift(), zoneId, cutoff);
                Object flagValue = switch (flag) {
                    case NONE, BOOLEAN -> spec.flagSet();
                    case TIMESTAMP -> value(ColumnType.TIMESTAMP, spec.flagShift(), zoneId, cutoff);
                    case TIMESTAMPTZ -> value(ColumnType.TIMESTAMPTZ, spec.flagShift(), zoneId, cutoff);
                };
                rows.add(new Row(rows.size() + 1, expiresAt, flagValue));
            }
            return rows;
        }

        /** A naive value is the cutoff's wall-clock time in the zone, shifted; so it may fall in a gap. */
        private static Object value(ColumnType type, Long shift, ZoneId zoneId, Instant cutoff) {
            if (shift == null) {
                return null;
            }
            return type == ColumnType.TIMESTAMPTZ ? cutoff.plusSeconds(shift)
                    : LocalDateTime.ofInstant(cutoff, zoneId).plusSeconds(shift);
        }
    }

    record RowSpec(Long expiryShift, Long flagShift, Boolean flagSet) {
    }

    /** Values as inserted: Instant for timestamptz, LocalDateTime for timestamp, Boolean, or null. */
    record Row(int id, Object expiresAt, Object flag) {
    }

    /**
     * What the tries covered, checked after them, so that the property cannot pass by testing little: the
     * tries ran, both verdicts occurred, and naive times fell in gaps and overlaps.
     */
    private static final class Coverage {
        private int tries;
        private int doomed;
        private int kept;
        private int gapsOrOverlaps;

        synchronized void countTry(int doomedRows, int keptRows) {
            tries++;
            doomed += doomedRows;
            kept += keptRows;
        }

        synchronized void count(Row row, ZoneId zone) {
            for (Object value : new Object[] {row.expiresAt(), row.flag()}) {
                if (value instanceof LocalDateTime local && zone.getRules().getValidOffsets(local).size() != 1) {
                    gapsOrOverlaps++;
                }
            }
        }

        synchronized void check() {
            assertThat(tries).as("tries").isGreaterThanOrEqualTo(TRIES);
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

    private static String explain(GeneratedCase generated, ZoneId zone, Instant now, Duration retention,
                                  String predicate, List<Row> rows, Set<Integer> selected, Set<Integer> expected,
                                  DoomedRowOracle oracle) {
        StringBuilder text = new StringBuilder("zone " + generated.zone() + ", expiry " + generated.expiry()
                + ", flag " + generated.flag() + ", now " + now + ", retention " + retention + ", cutoff "
                + oracle.cutoff() + " (" + LocalDateTime.ofInstant(oracle.cutoff(), zone) + " local)\n  predicate: "
                + predicate);
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

    private static String table(ColumnType expiry, ColumnType flag) {
        return ("dt_" + expiry + "_" + flag).toLowerCase(Locale.ROOT);
    }

    private static String sqlType(ColumnType type) {
        return switch (type) {
            case BOOLEAN -> "boolean";
            case TIMESTAMP -> "timestamp without time zone";
            case TIMESTAMPTZ -> "timestamp with time zone";
        };
    }
}
