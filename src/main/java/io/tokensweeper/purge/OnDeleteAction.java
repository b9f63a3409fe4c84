package io.tokensweeper.purge;

import java.util.Arrays;

/** A foreign key's ON DELETE action, by its code in pg_constraint.confdeltype, and what it does to a purge. */
enum OnDeleteAction {
    NO_ACTION('a', "NO ACTION", false),
    RESTRICT('r', "RESTRICT", false),
    CASCADE('c', "CASCADE", true),
    SET_NULL('n', "SET NULL", true),
    SET_DEFAULT('d', "SET DEFAULT", true);

    private final char code;
    private final String sql;
    private final boolean changesOtherRows;

    OnDeleteAction(char code, String sql, boolean changesOtherRows) {
        this.code = code;
        this.sql = sql;
        this.changesOtherRows = changesOtherRows;
    }

    static OnDeleteAction ofCode(String code) {
        return Arrays.stream(values()).filter(action -> code.length() == 1 && action.code == code.charAt(0))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("unknown ON DELETE action code '" + code + "'"));
    }

    String sql() {
        return sql;
    }

    boolean changesOtherRows() {
        return changesOtherRows;
    }

    /** What deleting a doomed row does to the rows of {@code table} that reference it through {@code columns}. */
    String consequence(String table, String columns) {
        return switch (this) {
            case CASCADE -> "deleting a doomed row also deletes every row of " + table + " that references it,"
                    + " live or not";
            case SET_NULL -> "deleting a doomed row sets " + columns + " to NULL in the rows of " + table
                    + " that reference it";
            case SET_DEFAULT -> "deleting a doomed row sets " + columns + " to its default in the rows of " + table
                    + " that reference it";
            case RESTRICT, NO_ACTION -> "a still-referenced doomed row cannot be deleted; the purge goes around it"
                    + " and reports it";
        };
    }
}
