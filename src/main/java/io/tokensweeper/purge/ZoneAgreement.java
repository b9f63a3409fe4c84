package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Year;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses a {@code timestampZone} that PostgreSQL would read otherwise than Java: at start it compares
 * the offsets both give now and on both sides of every transition of the previous, this and the next
 * year, and the instant both give for a local time inside each gap or overlap (the later one, which
 * keeps a row rather than delete it early). Their tzdata versions can differ, and PostgreSQL takes some
 * names (CET, EET, MET, WET) as fixed abbreviations where Java's zone has summer time.
 */
final class ZoneAgreement {
    private final ZoneId zone;
    private final String key;
    private final String sqlZone;

    private ZoneAgreement(ZoneId zone, String key) {
        this.zone = zone;
        this.key = key;
        this.sqlZone = SqlZone.of(zone);
    }

    /** Throws {@link TargetConfigurationException} naming {@code key} and the zone when they disagree. */
    static void check(Connection connection, ZoneId zone, String key) {
        new ZoneAgreement(zone, key).check(connection);
    }

    private void check(Connection connection) {
        List<Instant> instants = new ArrayList<>(List.of(Instant.now()));
        List<ZoneOffsetTransition> transitions = transitionsAroundThisYear();
        for (ZoneOffsetTransition transition : transitions) {
            instants.add(transition.getInstant().minusSeconds(1));
            instants.add(transition.getInstant());
        }
        try {
            compareOffsets(connection, instants);
            compareReadingsInside(connection, transitions);
        } catch (SQLException e) {
            throw new TargetConfigurationException(key + ": PostgreSQL does not know the zone " + zone.getId()
                    + ": " + e.getMessage(), e);
        }
    }

    private List<ZoneOffsetTransition> transitionsAroundThisYear() {
        ZoneRules rules = zone.getRules();
        Year thisYear = Year.now(ZoneOffset.UTC);
        Instant end = thisYear.plusYears(2).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        List<ZoneOffsetTransition> transitions = new ArrayList<>();
        ZoneOffsetTransition next = rules.nextTransition(
                thisYear.minusYears(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC));
        while (next != null && next.getInstant().isBefore(end)) {
            transitions.add(next);
            next = rules.nextTransition(next.getInstant());
        }
        return transitions;
    }

    private void compareOffsets(Connection connection, List<Instant> instants) throws SQLException {
        Long[] epochSeconds = instants.stream().map(Instant::getEpochSecond).toArray(Long[]::new);
        Jdbc.list(connection, "SELECT e, to_timestamp(e) AT TIME ZONE " + sqlZone + " FROM unnest(?::bigint[]) AS e",
                rs -> {
                    Instant instant = Instant.ofEpochSecond(rs.getLong(1));
                    LocalDateTime postgres = rs.getObject(2, LocalDateTime.class);
                    LocalDateTime java = LocalDateTime.ofInstant(instant, zone);
                    if (!java.equals(postgres)) {
                        throw disagreement("at " + instant + " PostgreSQL's local time is " + postgres
                                + ", Java's " + java);
                    }
                    return instant;
                }, connection.createArrayOf("bigint", epochSeconds));
    }

    private void compareReadingsInside(Connection connection, List<ZoneOffsetTransition> transitions)
            throws SQLException {
        if (transitions.isEmpty()) {
            return;
        }
        String[] locals = transitions.stream().map(ZoneAgreement::middle).map(LocalDateTime::toString)
                .toArray(String[]::new);
        List<Instant> readings = Jdbc.list(connection, "SELECT extract(epoch FROM l::timestamp AT TIME ZONE " + sqlZone
                        + ")::bigint FROM unnest(?::text[]) WITH ORDINALITY AS u(l, n) ORDER BY n",
                rs -> Instant.ofEpochSecond(rs.getLong(1)), connection.createArrayOf("text", locals));
        for (int i = 0; i < transitions.size(); i++) {
            ZoneOffsetTransition transition = transitions.get(i);
            Instant postgres = readings.get(i);
            Instant later = laterReading(transition);
            if (!later.equals(postgres)) {
                throw disagreement("the local time " + middle(transition) + " (in a "
                        + (transition.isGap() ? "gap" : "overlap") + ") is " + postgres
                        + " for PostgreSQL, " + later + " (the later reading) for Java");
            }
        }
    }

    /** A local time halfway into the gap or overlap. */
    private static LocalDateTime middle(ZoneOffsetTransition transition) {
        LocalDateTime first = transition.isGap() ? transition.getDateTimeBefore() : transition.getDateTimeAfter();
        return first.plus(transition.getDuration().abs().dividedBy(2));
    }

    /** Of the two offsets around the change, the smaller one gives the later instant. */
    private static Instant laterReading(ZoneOffsetTransition transition) {
        ZoneOffset before = transition.getOffsetBefore();
        ZoneOffset after = transition.getOffsetAfter();
        ZoneOffset smaller = before.getTotalSeconds() < after.getTotalSeconds() ? before : after;
        return middle(transition).toInstant(smaller);
    }

    private TargetConfigurationException disagreement(String detail) {
        return new TargetConfigurationException(key + ": PostgreSQL and Java read the zone \"" + zone.getId()
                + "\" differently: " + detail + ". Configure a region name (Area/City) both read alike, or"
                + " bring the tzdata of the JVM and of the database server to the same version");
    }
}
