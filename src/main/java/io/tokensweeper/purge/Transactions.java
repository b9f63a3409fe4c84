package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class Transactions {
    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);

    private Transactions() {
    }

    /** Ends the transaction, if the connection is in one (not in autocommit). */
    static void commit(Connection connection) throws SQLException {
        if (!connection.getAutoCommit()) {
            connection.commit();
        }
    }

    /** After a failed statement: the failure is what matters; a failed rollback shows up on the next use. */
    static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.debug("Rollback after a failed statement failed too", e);
        }
    }
}
