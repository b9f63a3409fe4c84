package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The purge walks the heap with TID range scans, which PostgreSQL has since 14. On an older server each
 * batch would be a sequential scan of the whole table and a run would turn quadratic: refused at start.
 */
final class ServerVersion {
    static final int MINIMUM = 140_000;

    private ServerVersion() {
    }

    static void require(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            Jdbc.one(connection, "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
                    rs -> {
                        check(rs.getInt(1), rs.getString(2));
                        return null;
                    });
        } catch (SQLException e) {
            throw new TargetConfigurationException("database.url: could not read the PostgreSQL server version: "
                    + e.getMessage(), e);
        }
    }

    static void check(int versionNum, String version) {
        if (versionNum < MINIMUM) {
            throw new TargetConfigurationException("database.url: PostgreSQL " + version + " is too old:"
                    + " token-sweeper needs PostgreSQL 14 or newer (it deletes in heap ranges with TID range scans,"
                    + " which older servers lack; every batch would scan the whole table)");
        }
    }
}
