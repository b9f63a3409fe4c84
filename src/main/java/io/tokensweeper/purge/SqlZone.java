package io.tokensweeper.purge;

import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneRules;
import java.util.Locale;

/**
 * A configured zone as PostgreSQL must read it in {@code AT TIME ZONE}. PostgreSQL reads a text zone
 * such as {@code '-05:00'}, {@code 'UTC-05:00'} or {@code 'GMT-5'} POSIX-style, with the opposite sign
 * of Java's, and takes names such as {@code 'CET'} as fixed abbreviations; an interval means what Java
 * means. So every zone with a fixed offset is written as that interval, and only zones with transitions
 * by name ({@link ZoneAgreement} then checks that PostgreSQL knows them as Java does).
 */
final class SqlZone {
    private SqlZone() {
    }

    static String of(ZoneId zone) {
        ZoneRules rules = zone.getRules();
        if (rules.isFixedOffset()) {
            return "INTERVAL " + Sql.literal(isoOffset(rules.getOffset(Instant.EPOCH).getTotalSeconds()));
        }
        return Sql.literal(zone.getId());
    }

    /** +HH:MM:SS, ISO sign: east of Greenwich is positive, as in Java. */
    private static String isoOffset(int totalSeconds) {
        int seconds = Math.abs(totalSeconds);
        return String.format(Locale.ROOT, "%s%02d:%02d:%02d", totalSeconds < 0 ? "-" : "+",
                seconds / 3600, seconds / 60 % 60, seconds % 60);
    }
}
