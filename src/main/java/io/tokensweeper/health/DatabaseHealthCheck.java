package io.tokensweeper.health;

import com.codahale.metrics.health.HealthCheck;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Healthy when a real query answers within a few seconds; reports the database clock and version. Errors
 * are answered with their message: a thrown exception would put its stack trace into /healthcheck.
 */
public final class DatabaseHealthCheck extends HealthCheck {
    private static final int QUERY_TIMEOUT_SECONDS = 3;

    private final DataSource dataSource;

    public DatabaseHealthCheck(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    protected Result check() {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            try (ResultSet rs = statement.executeQuery("SELECT now(), current_setting('server_version')")) {
                rs.next();
                return Result.builder().healthy()
                        .withDetail("databaseTime", rs.getObject(1).toString())
                        .withDetail("serverVersion", rs.getString(2))
                        .build();
            }
        } catch (SQLException e) {
            return Result.unhealthy("the database does not answer: %s", e.getMessage());
        }
    }
}
