package io.tokensweeper.purge;

import java.time.Instant;
import java.util.Locale;

/**
 * What a run recorded of its table's storage, right after it ended (see {@link TableSpace}): total size
 * (heap, indexes, TOAST) and heap size in bytes, live and dead tuples, the dead tuples above which autovacuum
 * vacuums the table, when it was last vacuumed (null: never, as far as the statistics know), and why autovacuum
 * looks far behind on it (null when it does not; see {@link AutovacuumLag}).
 */
public record RunSpace(long tableBytes, long heapBytes, long liveTuples, long deadTuples, long autovacuumThreshold,
                       Instant lastAutovacuum, Instant lastVacuum, String autovacuumWarning) {

    /** 1536 -> "1.5 KiB": for the log and the dashboard. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    }

    /** For the log: "1.2 MiB (heap 800 KiB), 5500 live and 4500 dead tuples (autovacuum vacuums above 1150), ...". */
    public String describe() {
        return bytes(tableBytes) + " (heap " + bytes(heapBytes) + "), " + liveTuples + " live and " + deadTuples
                + " dead tuples (autovacuum vacuums it above " + autovacuumThreshold + "), last autovacuum "
                + (lastAutovacuum == null ? "never" : lastAutovacuum.toString()) + ", last vacuum "
                + (lastVacuum == null ? "never" : lastVacuum.toString());
    }
}
