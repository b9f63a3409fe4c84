package io.tokensweeper.purge;

import java.util.List;

/**
 * Doomed rows a run could not delete for one reason (a foreign key, a trigger's error, a session holding
 * a lock), with a few example keys: stored in cleanup_runs.skipped, shown by /runs and the dashboard.
 */
public record SkipGroup(String reason, long rows, List<String> examples) {
    public SkipGroup {
        examples = List.copyOf(examples);
    }
}
