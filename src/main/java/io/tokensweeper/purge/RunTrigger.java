package io.tokensweeper.purge;

import java.util.Locale;

/** What started a run, as stored in cleanup_runs.trigger. */
public enum RunTrigger {
    CRON, MANUAL, RECOVERY, CLI;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
