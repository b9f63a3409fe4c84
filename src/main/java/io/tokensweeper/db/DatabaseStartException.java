package io.tokensweeper.db;

import java.sql.SQLException;
import java.util.Optional;

/**
 * The node cannot get its database: the server is unreachable or refuses us, or the embedded mode is asked
 * of a build without it. The message is one line an operator can act on, without secrets; commands print
 * it instead of a stack trace, since no frame in it would help.
 */
public final class DatabaseStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** SQLState classes of "cannot connect", "bad credentials" and "no such database". */
    private static final String[] UNAVAILABLE_STATES = {"08", "28", "3D"};

    private DatabaseStartException(String message, Throwable cause) {
        super(message, cause);
    }

    static DatabaseStartException embeddedNotInThisBuild() {
        return new DatabaseStartException("DATABASE_URL is not set, and this build has no embedded PostgreSQL (it was"
                + " built with -Pproduction): set DATABASE_URL to your auth service's PostgreSQL,"
                + " jdbc:postgresql://host:port/database", null);
    }

    /** The failure as one line if it is the database being unavailable to us; anything else is not ours to explain. */
    static Optional<DatabaseStartException> ifUnavailable(RuntimeException failure, String url, String user) {
        return unavailability(failure).map(cause -> new DatabaseStartException("Cannot connect to the database "
                + JdbcUrls.withoutPassword(url) + " as user " + user + ": " + firstLine(cause.getMessage())
                + " Start the database or correct DATABASE_URL; token-sweeper exits now.", failure));
    }

    /** The deepest SQLException in the chain with an unavailability SQLState: the driver's own words. */
    private static Optional<SQLException> unavailability(Throwable failure) {
        SQLException found = null;
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                for (String state : UNAVAILABLE_STATES) {
                    if (sql.getSQLState().startsWith(state)) {
                        found = sql;
                    }
                }
            }
        }
        return Optional.ofNullable(found);
    }

    private static String firstLine(String message) {
        String line = message == null ? "" : message.strip().lines().findFirst().orElse("");
        return line.endsWith(".") ? line : line + ".";
    }
}
