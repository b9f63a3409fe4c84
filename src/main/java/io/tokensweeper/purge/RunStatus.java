package io.tokensweeper.purge;

import java.util.Locale;

/** The status column of cleanup_runs. */
public enum RunStatus {
    RUNNING, SUCCEEDED, FAILED, INTERRUPTED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunStatus fromId(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
