package io.tokensweeper.purge;

import java.sql.SQLException;
import java.util.Locale;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Why a DELETE failed, and what the engine does about it. Errors that belong to particular rows (a
 * foreign key still pointing at a row, a trigger that raises, a row lock held too long) make the engine
 * split the piece down to those rows and go around them; a statement that ran too long is split too.
 * Anything else (the connection, privileges, the schema) ends the run.
 */
record DeleteFailure(Kind kind, String reason) {
    enum Kind {
        /** Caused by particular rows: split, then skip those rows and report them. */
        ROW,
        /** A wait or a conflict that may pass: split, retry a single row a few times, then skip it. */
        TRANSIENT,
        /** The piece was too large for statement_timeout: split. */
        TOO_LARGE,
        /** Not about rows: the run ends. */
        FATAL
    }

    static DeleteFailure classify(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String reason = reason(e);
        if ("55P03".equals(state) || "40P01".equals(state) || "40001".equals(state)) {
            return new DeleteFailure(Kind.TRANSIENT, reason);
        }
        if ("57014".equals(state) && reason.toLowerCase(Locale.ROOT).contains("statement timeout")) {
            return new DeleteFailure(Kind.TOO_LARGE, reason);
        }
        if (state.startsWith("23") || state.startsWith("P0") || raisedInFunction(e)) {
            return new DeleteFailure(Kind.ROW, reason);
        }
        return new DeleteFailure(Kind.FATAL, reason);
    }

    boolean splittable() {
        return kind != Kind.FATAL;
    }

    /**
     * The server's primary message, plus the function it came from: no DETAIL, which may quote the row's
     * values (a token hash, say), and no stack.
     */
    private static String reason(SQLException e) {
        ServerErrorMessage server = e instanceof PSQLException psql ? psql.getServerErrorMessage() : null;
        if (server == null || server.getMessage() == null) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        String where = server.getWhere();
        if (where == null || where.isBlank()) {
            return server.getMessage();
        }
        return server.getMessage() + " (in " + where.lines().findFirst().orElse(where).trim() + ")";
    }

    /** An error raised inside a trigger's or rule's function is about the row it fired for. */
    private static boolean raisedInFunction(SQLException e) {
        if (!(e instanceof PSQLException psql) || psql.getServerErrorMessage() == null) {
            return false;
        }
        String where = psql.getServerErrorMessage().getWhere();
        return where != null && (where.contains("PL/pgSQL function") || where.contains("SQL function"));
    }
}
