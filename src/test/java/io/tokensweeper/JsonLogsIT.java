package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokensweeper.testing.NodeProcess;
import io.tokensweeper.testing.PostgresExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** With the JSON layouts on, a node writes one JSON object per line, and a run's summary carries its fields. */
class JsonLogsIT {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @TempDir
    Path logs;

    @Test
    void everyLineIsAJsonObjectAndTheRunSummaryHasItsFields() throws Exception {
        POSTGRES.database().execute("INSERT INTO public.password_resets (user_id, token_hash, expires_at, used)"
                + " SELECT gen_random_uuid(), 'p' || i, now() + interval '1 hour', true FROM generate_series(1, 7) i");
        List<JsonNode> lines = new ArrayList<>();
        try (NodeProcess node = NodeProcess.start("json", POSTGRES.database(), Map.of(
                "logging.appenders[0].layout.type", "json",
                "server.requestLog.appenders[0].layout.type", "access-json"), logs)) {
            node.awaitHealthy(Duration.ofSeconds(90));
            assertThat(node.post("/tasks/run-cleanup?job=password-resets").statusCode()).isEqualTo(200);
            node.stop(Duration.ofSeconds(30));
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(node.log)) {
                if (!line.isBlank()) {
                    JsonNode parsed;
                    try {
                        parsed = json.readTree(line);
                    } catch (java.io.IOException e) {
                        throw new AssertionError("not a JSON line: " + line, e);
                    }
                    assertThat(parsed.isObject()).as(line).isTrue();
                    lines.add(parsed);
                }
            }
        }

        assertThat(lines).hasSizeGreaterThan(10);
        JsonNode summary = lines.stream().filter(l -> l.path("message").asText().startsWith("Purge finished"))
                .findFirst().orElseThrow();
        JsonNode mdc = summary.get("mdc");
        assertThat(summary.get("level").asText()).isEqualTo("INFO");
        assertThat(mdc.get("job").asText()).isEqualTo("password-resets");
        assertThat(mdc.get("rowsDeleted").asText()).isEqualTo("7");
        assertThat(mdc.get("node").asText()).isEqualTo("json");
        assertThat(mdc.get("trigger").asText()).isEqualTo("manual");
        assertThat(mdc.get("status").asText()).isEqualTo("succeeded");
        assertThat(mdc.get("runId").asLong()).isPositive();
        assertThat(mdc.get("durationMs").asLong()).isNotNegative();
        assertThat(lines).anySatisfy(l -> assertThat(l.path("uri").asText()).contains("/tasks/run-cleanup"));
    }
}
