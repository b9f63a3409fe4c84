package io.tokensweeper.purge;

/**
 * Something the purge's DELETE on its target does besides deleting the doomed rows, or that may keep it from
 * deleting them: a foreign key into the target, a DELETE trigger or a DELETE rule on it. Found in the catalog
 * at start, logged once, and shown on GET /jobs and the dashboard.
 *
 * @param otherTable the referencing table of a foreign key (the target itself for a self-reference); null for
 *                   triggers and rules
 * @param action the ON DELETE action of a foreign key, the timing and level of a trigger (BEFORE ROW), or
 *               DO ALSO / DO INSTEAD of a rule
 * @param changesOrSkipsRows whether it changes rows other than the doomed ones, or may keep doomed rows from
 *                           being deleted without an error: logged at WARN. RESTRICT and NO ACTION are not:
 *                           a still-referenced row fails its DELETE, and the purge goes around it and reports it
 * @param unindexed a foreign key whose referencing columns lead no index: every deleted row makes PostgreSQL
 *                  scan the referencing table for references. Logged at WARN with the index to create
 */
public record DeleteSideEffect(Kind kind, String name, String otherTable, String action, String description,
                               boolean changesOrSkipsRows, boolean unindexed) {

    /** Worth a WARN at start: it changes or keeps rows, or it makes every delete scan another table. */
    public boolean warrantsWarning() {
        return changesOrSkipsRows || unindexed;
    }

    public enum Kind {
        FOREIGN_KEY("foreign-key"),
        TRIGGER("trigger"),
        RULE("rule");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }
}
