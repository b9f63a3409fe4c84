package io.tokensweeper.purge;

import io.tokensweeper.purge.DoomedRowOracle.FlagKind;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One generated table for {@link DoomedRowDifferentialTest}. {@code anchor} picks one of the zone's
 * daylight-saving changes of the last two years (or now) and {@code delta} how far from it the cutoff
 * lies; each row's times are seconds from the cutoff, NULL when the shift is null. Times are relative
 * because now() is only known inside the try's transaction.
 */
record DoomedRowCase(String zone, ColumnType expiry, FlagKind flag, int anchor, long delta, List<RowSpec> specs) {
    static final List<String> ZONES = List.of("-05:00", "+05:30", "UTC-03:00", "GMT-5", "Etc/GMT+5", "Z",
            "America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "UTC");
    private static final long FOUR_HOURS = 4 * 3600;
    private static final long THREE_HOURS = 3 * 3600;
    private static final long FOUR_HUNDRED_DAYS = 400 * 86400;
    private static final int MAX_ROWS = 25;

    /** Shifts of one row from the cutoff (null: NULL) and its boolean flag. */
    record RowSpec(Long expiryShift, Long flagShift, Boolean flagSet) {
    }

    /** Values as inserted: Instant for timestamptz, LocalDateTime for timestamp, Boolean, or null. */
    record Row(int id, Object expiresAt, Object flag) {
    }

    static DoomedRowCase random(SplittableRandom random) {
        List<RowSpec> specs = new ArrayList<>();
        int rows = 1 + random.nextInt(MAX_ROWS);
        for (int i = 0; i < rows; i++) {
            Boolean flagSet = random.nextInt(5) == 0 ? null : random.nextBoolean();
            specs.add(new RowSpec(shift(random), shift(random), flagSet));
        }
        return new DoomedRowCase(ZONES.get(random.nextInt(ZONES.size())),
                random.nextBoolean() ? ColumnType.TIMESTAMP : ColumnType.TIMESTAMPTZ,
                FlagKind.values()[random.nextInt(FlagKind.values().length)],
                random.nextInt(9), random.nextLong(-THREE_HOURS, THREE_HOURS + 1), specs);
    }

    /** Mostly within four hours of the cutoff, sometimes exactly on it or far away, sometimes NULL. */
    private static Long shift(SplittableRandom random) {
        int pick = random.nextInt(20);
        if (pick < 3) {
            return null;
        }
        if (pick < 5) {
            return random.nextLong(-1, 2);
        }
        if (pick < 7) {
            return random.nextLong(-FOUR_HUNDRED_DAYS, FOUR_HUNDRED_DAYS + 1);
        }
        return random.nextLong(-FOUR_HOURS, FOUR_HOURS + 1);
    }

    DoomedRowCase withoutRow(int index) {
        List<RowSpec> fewer = new ArrayList<>(specs);
        fewer.remove(index);
        return new DoomedRowCase(zone, expiry, flag, anchor, delta, fewer);
    }

    Duration retentionFor(ZoneId zoneId, Instant now) {
        List<Instant> transitions = recentTransitions(zoneId.getRules(), now);
        int index = anchor % (transitions.size() + 1);
        Instant aim = index == transitions.size() ? now.minusSeconds(Math.abs(delta))
                : transitions.get(index).plusSeconds(delta);
        // A part of a second too (whole microseconds, PostgreSQL's resolution): the cutoff must keep it exactly.
        long micros = anchor % 3 == 0 ? 0 : Math.floorMod(delta * 7919, 1_000_000L);
        return Duration.ofSeconds(Math.max(0, Duration.between(aim, now).getSeconds())).plusNanos(micros * 1_000);
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
        config.setRetention(io.dropwizard.util.Duration.microseconds(retention.toNanos() / 1_000));
        return config;
    }

    /** With {@code none} the table still has a boolean flag column: it must be ignored. */
    String table() {
        ColumnType flagType = switch (flag) {
            case NONE, BOOLEAN -> ColumnType.BOOLEAN;
            case TIMESTAMP -> ColumnType.TIMESTAMP;
            case TIMESTAMPTZ -> ColumnType.TIMESTAMPTZ;
        };
        return table(expiry, flagType);
    }

    static String table(ColumnType expiry, ColumnType flag) {
        return ("dt_" + expiry + "_" + flag).toLowerCase(Locale.ROOT);
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
