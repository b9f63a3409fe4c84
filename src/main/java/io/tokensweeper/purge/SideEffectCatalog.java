package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists what a DELETE on a target reaches beyond its own rows, or what may keep it from deleting them: every
 * foreign key that references the target, every DELETE trigger and every DELETE rule on it. None of them is
 * refused (the operator chose them), but a purge must never do more or less than the operator believes.
 */
final class SideEffectCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(SideEffectCatalog.class);

    // pg_trigger.tgtype bits, from PostgreSQL's catalog/pg_trigger.h
    private static final int ROW = 1;
    private static final int BEFORE = 1 << 1;
    private static final int DELETE = 1 << 3;
    private static final int INSTEAD = 1 << 6;

    /**
     * Only the constraints whose action trigger sits on the target: so a partitioned referencing table counts
     * once (its partitions' clones act through it), and a target partition sees the keys into its parent.
     */
    private static final String FOREIGN_KEYS = "SELECT c.conname, n.nspname || '.' || r.relname,"
            + " r.oid = c.confrelid, r.relkind = 'p', c.confdeltype, c.condeferrable, c.condeferred,"
            + " (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)"
            + "    FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)"
            + "    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),"
            // an index whose leading columns are the key's, in any order, serves the reference checks
            + " EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.conrelid"
            + "   AND (string_to_array(i.indkey::text, ' ')::int2[])[1:array_length(c.conkey, 1)] @> c.conkey"
            + "   AND (string_to_array(i.indkey::text, ' ')::int2[])[1:array_length(c.conkey, 1)] <@ c.conkey)"
            + " FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid"
            + " JOIN pg_namespace n ON n.oid = r.relnamespace"
            + " WHERE c.contype = 'f' AND c.confrelid = ?::bigint::oid"
            + " AND EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.confrelid AND t.tgconstraint = c.oid)"
            + " ORDER BY n.nspname, r.relname, c.conname";

    /** Internal constraint triggers are the foreign keys' own, listed as foreign keys. */
    private static final String TRIGGERS = "SELECT t.tgname, t.tgtype, t.tgenabled,"
            + " n.nspname || '.' || p.proname || '()'"
            + " FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace"
            + " WHERE t.tgrelid = ?::bigint::oid AND t.tgtype & " + DELETE + " <> 0"
            + " AND NOT (t.tgisinternal AND t.tgconstraint <> 0)"
            + " ORDER BY t.tgname";

    private static final String RULES = "SELECT r.rulename, r.is_instead, r.ev_enabled FROM pg_rewrite r"
            + " WHERE r.ev_class = ?::bigint::oid AND r.ev_type = '4' ORDER BY r.rulename";

    private SideEffectCatalog() {
    }

    static List<DeleteSideEffect> list(Connection connection, long tableOid) throws SQLException {
        boolean replicaSessions = replicaSessions(connection);
        List<DeleteSideEffect> effects = new ArrayList<>(
                Jdbc.list(connection, FOREIGN_KEYS, SideEffectCatalog::foreignKey, tableOid));
        effects.addAll(Jdbc.list(connection, TRIGGERS, rs -> trigger(rs, replicaSessions), tableOid));
        effects.addAll(Jdbc.list(connection, RULES, rs -> rule(rs, replicaSessions), tableOid));
        return List.copyOf(effects);
    }

    static void log(JobName job, String display, List<DeleteSideEffect> effects) {
        for (DeleteSideEffect effect : effects) {
            if (effect.warrantsWarning()) {
                LOG.warn("Purge {} on {}: {}", job, display, effect.description());
            } else {
                LOG.info("Purge {} on {}: {}", job, display, effect.description());
            }
        }
    }

    private static DeleteSideEffect foreignKey(ResultSet rs) throws SQLException {
        String name = rs.getString(1);
        String table = rs.getString(2);
        String rows = rs.getBoolean(3) ? "this table itself"
                : rs.getBoolean(4) ? table + " (partitioned: all its partitions)" : table;
        OnDeleteAction action = OnDeleteAction.ofCode(rs.getString(5));
        String deferral = !rs.getBoolean(6) ? ""
                : rs.getBoolean(7) ? "; deferrable, initially deferred: checked at commit"
                : "; deferrable, initially immediate";
        String columns = rs.getString(8);
        boolean unindexed = !rs.getBoolean(9);
        String description = "foreign key " + name + " of " + table + " (" + columns + ") ON DELETE " + action.sql()
                + ": " + action.consequence(rows, columns) + deferral
                + (unindexed ? "; no index on " + table + " (" + columns + "), so every deleted row scans " + table
                        + " for references: CREATE INDEX CONCURRENTLY ON " + table + " (" + columns + ")" : "");
        return new DeleteSideEffect(DeleteSideEffect.Kind.FOREIGN_KEY, name, table, action.sql(), description,
                action.changesOtherRows(), unindexed);
    }

    private static DeleteSideEffect trigger(ResultSet rs, boolean replicaSessions) throws SQLException {
        String name = rs.getString(1);
        int type = rs.getInt(2);
        String enabled = rs.getString(3);
        String timing = (type & BEFORE) != 0 ? "BEFORE" : (type & INSTEAD) != 0 ? "INSTEAD OF" : "AFTER";
        String action = timing + ((type & ROW) != 0 ? " ROW" : " STATEMENT");
        String what = action + " DELETE trigger " + name + " runs " + rs.getString(4);
        if (!fires(enabled, replicaSessions)) {
            return new DeleteSideEffect(DeleteSideEffect.Kind.TRIGGER, name, null, action,
                    what + ", but does not fire in the purge's sessions: " + whyNot(enabled), false, false);
        }
        String consequence = "BEFORE ROW".equals(action)
                ? " for each doomed row: it may skip the row (by returning NULL), which then stays (the run"
                        + " reports it as skipped), and may change other rows"
                : "INSTEAD OF".equals(timing) ? " instead of the delete: doomed rows may not be deleted at all"
                : " and may change other rows";
        return new DeleteSideEffect(DeleteSideEffect.Kind.TRIGGER, name, null, action, what + consequence, true,
                false);
    }

    private static DeleteSideEffect rule(ResultSet rs, boolean replicaSessions) throws SQLException {
        String name = rs.getString(1);
        boolean instead = rs.getBoolean(2);
        String enabled = rs.getString(3);
        String action = instead ? "DO INSTEAD" : "DO ALSO";
        String what = "DELETE rule " + name + " (" + action + ")";
        if (!fires(enabled, replicaSessions)) {
            return new DeleteSideEffect(DeleteSideEffect.Kind.RULE, name, null, action,
                    what + " does not fire in the purge's sessions: " + whyNot(enabled), false, false);
        }
        String consequence = instead
                ? ": PostgreSQL rewrites the purge's DELETE, so doomed rows may not be deleted at all (the run"
                        + " reports them as skipped), and other tables may change"
                : ": every purge DELETE also runs the rule's commands, which may change other tables";
        return new DeleteSideEffect(DeleteSideEffect.Kind.RULE, name, null, action, what + consequence, true, false);
    }

    /** tgenabled / ev_enabled: O fires in origin sessions, R only in replica ones, A always, D never. */
    private static boolean fires(String enabled, boolean replicaSessions) {
        return switch (enabled) {
            case "A" -> true;
            case "O" -> !replicaSessions;
            case "R" -> replicaSessions;
            default -> false;
        };
    }

    private static String whyNot(String enabled) {
        return switch (enabled) {
            case "D" -> "it is disabled";
            case "R" -> "it is enabled for replica sessions only";
            default -> "the sessions run with session_replication_role = replica";
        };
    }

    private static boolean replicaSessions(Connection connection) throws SQLException {
        return Jdbc.oneBoolean(connection, "SELECT current_setting('session_replication_role') = 'replica'");
    }
}
