package io.tokensweeper.purge;

import java.util.Locale;

/** The status column of cleanup_runs. */
public enum RunStatus {
    RUNNING,
    SUCCEEDED,
    /** Went through the whole table, but some doomed rows could not be deleted: they are reported. */
    PARTIAL,
    FAILED,
    INTERRUPTED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromId(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }

    /** The run went through the whole table: succeeded, or partial with skipped rows reported. */
    public boolean completed() {
        return this == SUCCEEDED || this == PARTIAL;
    }
}
