package io.tokensweeper.purge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The doomed rows a run could not delete, grouped by reason, with a few example keys each. Up to
 * {@link #RETAINED} of their positions are kept so that the run can come back to them once at the end
 * of its lap; past that they are still counted and reported.
 */
final class SkippedRows {
    static final int RETAINED = 1_000;
    static final int MAX_REASONS = 10;
    static final int EXAMPLES = 5;
    static final String OTHER_REASONS = "other reasons";

    private record Skipped(Tid tid, String reason, String key) {
    }

    private final List<Skipped> retained = new ArrayList<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final Map<String, List<String>> examples = new LinkedHashMap<>();
    private long total;
    private boolean changed;

    SkippedRows copy() {
        SkippedRows copy = new SkippedRows();
        copy.retained.addAll(retained);
        copy.counts.putAll(counts);
        examples.forEach((reason, keys) -> copy.examples.put(reason, new ArrayList<>(keys)));
        copy.total = total;
        copy.changed = changed;
        return copy;
    }

    /**
     * The group a reason is counted in: its own while fewer than {@link #MAX_REASONS} are named, else
     * {@link #OTHER_REASONS}. Rows kept without an error are always named: a trigger whose error message names
     * each row makes a reason per row, which must not hide them.
     */
    private String groupOf(String reason) {
        return counts.containsKey(reason) || counts.size() < MAX_REASONS || reason.equals(RowDeleter.KEPT_SILENTLY)
                ? reason : OTHER_REASONS;
    }

    void add(Tid tid, String reason, String key) {
        String group = groupOf(reason);
        counts.merge(group, 1L, Long::sum);
        List<String> keys = examples.computeIfAbsent(group, r -> new ArrayList<>());
        if (keys.size() < EXAMPLES && key != null) {
            keys.add(key);
        }
        if (retained.size() < RETAINED) {
            retained.add(new Skipped(tid, group, key));
        }
        total++;
        changed = true;
    }

    /** Adds another worker's skipped rows of the same run. */
    void absorb(SkippedRows other) {
        other.counts.forEach((reason, rows) -> {
            if (rows == 0) {
                return;
            }
            String group = groupOf(reason);
            counts.merge(group, rows, Long::sum);
            List<String> keys = examples.computeIfAbsent(group, r -> new ArrayList<>());
            for (String key : other.examples.getOrDefault(reason, List.of())) {
                if (keys.size() < EXAMPLES) {
                    keys.add(key);
                }
            }
        });
        for (Skipped row : other.retained) {
            if (retained.size() < RETAINED) {
                retained.add(new Skipped(row.tid(), counts.containsKey(row.reason()) ? row.reason() : OTHER_REASONS,
                        row.key()));
            }
        }
        total += other.total;
        changed = true;
    }

    /** The positions to come back to, oldest first. */
    List<Tid> retained() {
        return retained.stream().map(Skipped::tid).toList();
    }

    /** A retained row is no longer skipped: deleted on a second try, gone, or no longer doomed. */
    void forget(Tid tid) {
        for (int i = 0; i < retained.size(); i++) {
            Skipped row = retained.get(i);
            if (row.tid().equals(tid)) {
                retained.remove(i);
                // The group stays, empty, so that the row skipped again on a retry is counted under it again, not
                // under "other reasons" when ten others are named by then.
                counts.computeIfPresent(row.reason(), (r, n) -> n - 1);
                if (row.key() != null) {
                    examples.get(row.reason()).remove(row.key());
                }
                total--;
                changed = true;
                return;
            }
        }
    }

    /**
     * Keeps the counts and examples but no positions to come back to: they belong to a leaf partition the run has
     * left, and must never be read as positions in the next one.
     */
    void forgetPositions() {
        retained.clear();
    }

    long total() {
        return total;
    }

    List<SkipGroup> groups() {
        List<SkipGroup> groups = new ArrayList<>();
        counts.forEach((reason, rows) -> {
            if (rows > 0) {
                groups.add(new SkipGroup(reason, rows, List.copyOf(examples.get(reason))));
            }
        });
        return groups;
    }

    /** Whether the report changed since the last call: the history is rewritten only then. */
    boolean takeChanged() {
        boolean was = changed;
        changed = false;
        return was;
    }
}
