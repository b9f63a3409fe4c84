package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Refuses a target on which row-level security applies to the purge's role. Its policies would hide rows
 * from the purge, so doomed rows it cannot see would stay forever while every run reported success.
 * PostgreSQL's own {@code row_security_active} answers for the current role: superusers, BYPASSRLS roles
 * and the owner of a table whose security is not forced are the ones RLS does not apply to.
 */
final class RowSecurityCheck {
    private static final String NO_POLICY = " A policy does not help, even USING (true) for every command:"
            + " the purge runs with row_security = off, under which PostgreSQL refuses any query that a policy"
            + " applies to rather than let it see fewer rows.";

    private RowSecurityCheck() {
    }

    static void requireEveryRowVisible(Connection connection, long tableOid, String path, String schema,
                                       String table) throws SQLException {
        Jdbc.one(connection, "SELECT row_security_active(c.oid), c.relforcerowsecurity,"
                        + " pg_has_role(current_user, c.relowner, 'USAGE'), current_user"
                        + " FROM pg_class c WHERE c.oid = ?::bigint::oid",
                rs -> {
                    if (rs.getBoolean(1)) {
                        boolean forcedOnOwner = rs.getBoolean(2) && rs.getBoolean(3);
                        throw new TargetConfigurationException(forcedOnOwner
                                ? forcedMessage(path, schema, table, rs.getString(4))
                                : notOwnerMessage(path, schema, table, rs.getString(4)));
                    }
                    return null;
                }, tableOid);
    }

    private static String notOwnerMessage(String path, String schema, String table, String role) {
        return path + ".table: row-level security on " + schema + "." + table + " applies to database user "
                + role + ", which is neither the table's owner nor BYPASSRLS: its policies would hide rows from"
                + " the purge, and doomed rows it cannot see would stay forever. Either ALTER ROLE "
                + Sql.identifier(role) + " BYPASSRLS, or ALTER TABLE " + qualified(schema, table)
                + " DISABLE ROW LEVEL SECURITY, or run the node as the table's owner." + NO_POLICY;
    }

    private static String forcedMessage(String path, String schema, String table, String role) {
        return path + ".table: row-level security on " + schema + "." + table + " is forced (FORCE ROW LEVEL"
                + " SECURITY), so it applies even to its owner, database user " + role + ": its policies would"
                + " hide rows from the purge, and doomed rows it cannot see would stay forever. Either ALTER TABLE "
                + qualified(schema, table) + " NO FORCE ROW LEVEL SECURITY, or ALTER ROLE "
                + Sql.identifier(role) + " BYPASSRLS." + NO_POLICY;
    }

    private static String qualified(String schema, String table) {
        return Sql.identifier(schema) + "." + Sql.identifier(table);
    }
}
