package io.tokensweeper.purge;

/**
 * The opt-in VACUUM (ANALYZE) after a run ({@code cleanup.<target>.vacuumAfterPurge}): {@code ran} is true when
 * it completed; false when it was not due or did not complete, and {@code note} says why. {@code durationMs} is
 * how long it took (also when it failed), null when it did not start; {@code deadTuplesAfter} the table's dead
 * tuples right after it, null when it did not complete.
 */
public record RunVacuum(boolean ran, Long durationMs, Long deadTuplesAfter, String note) {

    static RunVacuum notRun(String why) {
        return new RunVacuum(false, null, null, why);
    }
}
