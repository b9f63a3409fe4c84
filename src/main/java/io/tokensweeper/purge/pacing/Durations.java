package io.tokensweeper.purge.pacing;

import java.time.Duration;
import java.util.Locale;

/** Durations as config.yml writes them ({@code 250ms}, {@code 5s}, {@code 1m}), for log lines and the dashboard. */
public final class Durations {
    private Durations() {
    }

    public static String text(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0 && millis > 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1_000 == 0 && millis > 0) {
            return millis / 1_000 + "s";
        }
        if (millis >= 10_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        return millis + "ms";
    }
}
