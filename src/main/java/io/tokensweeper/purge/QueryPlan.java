package io.tokensweeper.purge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;

/** The planner's plan for a statement, unexecuted ({@code EXPLAIN (FORMAT JSON)}): its top node. */
final class QueryPlan {
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueryPlan() {
    }

    static JsonNode of(Connection connection, String sql) throws SQLException {
        String json = Jdbc.one(connection, "EXPLAIN (FORMAT JSON) " + sql, rs -> rs.getString(1));
        try {
            return JSON.readTree(json).path(0).path("Plan");
        } catch (JsonProcessingException e) {
            throw new SQLException("could not read the planner's answer: " + e.getMessage(), e);
        }
    }
}
