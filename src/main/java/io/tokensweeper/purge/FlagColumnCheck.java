package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Refuses a revoked/used column that would count every row (or every new row) as set, which would make
 * the purge delete live rows: the expiry column itself, a timestamp flag that is NOT NULL or has a
 * default or generation expression (set means not null), a boolean flag whose default is not false.
 */
final class FlagColumnCheck {
    private final String key;
    private final String display;
    private final String meaning;

    private FlagColumnCheck(String key, String display, String meaning) {
        this.key = key;
        this.display = display;
        this.meaning = meaning;
    }

    /**
     * @param key     the config key, e.g. cleanup.refreshTokens.revokedColumn
     * @param meaning what a set flag means, e.g. revoked
     */
    static void check(Connection connection, long tableOid, Column flag, Column expiresAt, String key,
                      String display, String meaning) throws SQLException {
        new FlagColumnCheck(key, display, meaning).check(connection, tableOid, flag, expiresAt);
    }

    private void check(Connection connection, long tableOid, Column flag, Column expiresAt) throws SQLException {
        if (flag.name().equals(expiresAt.name())) {
            throw refuse(flag, "is the expiry column (expiresAtColumn): every row with an expiry would count as "
                    + meaning);
        }
        Jdbc.one(connection, "SELECT a.attnotnull, a.attgenerated <> '', pg_get_expr(d.adbin, d.adrelid)"
                        + " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                        + " WHERE a.attrelid = ?::bigint::oid AND a.attname = ?",
                rs -> {
                    checkNeverSetByItself(flag, rs.getBoolean(1), rs.getBoolean(2), rs.getString(3));
                    return null;
                }, tableOid, flag.name());
    }

    private void checkNeverSetByItself(Column flag, boolean notNull, boolean generated, String expression) {
        String source = (generated ? "is generated as " : "has DEFAULT ") + expression;
        if (flag.type() == ColumnType.BOOLEAN) {
            if (expression != null && !"false".equals(expression)) {
                throw refuse(flag, source + ": every new row could count as " + meaning
                        + " (only DEFAULT false or no default is safe)");
            }
            return;
        }
        if (notNull) {
            throw refuse(flag, "is NOT NULL: a timestamp flag counts as set when it is not null, so every row"
                    + " would count as " + meaning);
        }
        if (expression != null) {
            throw refuse(flag, source + ": a timestamp flag counts as set when it is not null, so every new row"
                    + " would count as " + meaning);
        }
    }

    private TargetConfigurationException refuse(Column flag, String why) {
        return new TargetConfigurationException(key + ": column \"" + flag.name() + "\" of " + display + " " + why
                + " and be deleted. Name the column that is set only when a row is " + meaning + ", or set "
                + key.substring(key.lastIndexOf('.') + 1) + ": " + TargetFactory.NO_FLAG_COLUMN
                + " if the table has none (then only the expiry counts)");
    }
}
