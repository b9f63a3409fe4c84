package io.tokensweeper.purge;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Comparator;
import java.util.List;

/**
 * The README's rule, "What is deleted, and what never is", written again with java.time only and no
 * SQL, so that the predicate can be checked against it. A naive timestamp counts as passed only when
 * every plausible reading of it is: in an overlap both offsets are plausible, and in a gap (a local time
 * no correct clock shows) both the offset before and the offset after the change are.
 */
final class DoomedRowOracle {
    private final ZoneId zone;
    private final Duration retention;
    private final Instant cutoff;

    DoomedRowOracle(ZoneId zone, Duration retention, Instant now) {
        this.zone = zone;
        this.retention = retention;
        this.cutoff = now.minus(retention);
    }

    Instant cutoff() {
        return cutoff;
    }

    boolean doomed(Object expiresAt, FlagKind flagKind, Object flag) {
        return flagged(flagKind, flag) || passed(expiresAt);
    }

    private boolean flagged(FlagKind flagKind, Object flag) {
        return switch (flagKind) {
            case NONE -> false;
            // A boolean says nothing about when: with a retention, only the expiry can doom the row.
            case BOOLEAN -> retention.isZero() && Boolean.TRUE.equals(flag);
            // A time is a moment the row was revoked/used: one still ahead (scheduled) has not happened yet.
            case TIMESTAMP, TIMESTAMPTZ -> passed(flag);
        };
    }

    private boolean passed(Object value) {
        return value != null && latestReading(value).isBefore(cutoff);
    }

    /** A timestamptz is one instant; a naive timestamp is the latest instant its local time can mean. */
    Instant latestReading(Object value) {
        if (value instanceof Instant instant) {
            return instant;
        }
        LocalDateTime local = (LocalDateTime) value;
        ZoneRules rules = zone.getRules();
        List<ZoneOffset> offsets = rules.getValidOffsets(local);
        if (offsets.isEmpty()) {
            ZoneOffsetTransition gap = rules.getTransition(local);
            offsets = List.of(gap.getOffsetBefore(), gap.getOffsetAfter());
        }
        return offsets.stream().map(local::toInstant).max(Comparator.naturalOrder()).orElseThrow();
    }

    /** The flag column a generated case has, or {@code none}. */
    enum FlagKind {
        NONE, BOOLEAN, TIMESTAMP, TIMESTAMPTZ
    }
}
