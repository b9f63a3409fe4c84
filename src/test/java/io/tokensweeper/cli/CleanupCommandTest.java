package io.tokensweeper.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokensweeper.testing.CliRunner;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code cleanup config.yml [--job] [--dry-run] [--json]} end to end, as an outside cron would run it. */
class CleanupCommandTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @TempDir
    Path tmp;

    @BeforeEach
    void seed() {
        POSTGRES.database().execute("""
                TRUNCATE public.refresh_tokens, public.password_resets;
                INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)
                  SELECT gen_random_uuid(), 'rt' || i, now() + CASE WHEN i <= 30 THEN interval '-1 day'
                         ELSE interval '1 day' END, i > 90 FROM generate_series(1, 100) i;
                INSERT INTO public.password_resets (user_id, token_hash, expires_at, used)
                  SELECT gen_random_uuid(), 'pr' || i, now() + interval '1 hour', i <= 5 FROM generate_series(1, 20) i;
                """);
    }

    @Test
    void dryRunCountsAndDeletesNothing() throws Exception {
        TestDatabase db = POSTGRES.database();

        CliRunner.Outcome outcome = CliRunner.run("cleanup", config(), "--dry-run");

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
        assertThat(outcome.stdout()).contains("refresh-tokens: succeeded, would delete 40 rows")
                .contains("password-resets: succeeded, would delete 5 rows").contains("trigger cli");
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(100);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs WHERE dry_run AND trigger = 'cli'"))
                .isEqualTo(2);
    }

    @Test
    void stdoutCarriesOneSummaryLinePerJobAndTheLogGoesToStderr() throws Exception {
        CliRunner.Outcome outcome = CliRunner.run("cleanup", config());

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
        assertThat(outcome.stdout().lines().toList()).as(outcome.output()).satisfiesExactly(
                line -> assertThat(line).startsWith("refresh-tokens: succeeded, deleted 40 rows"),
                line -> assertThat(line).startsWith("password-resets: succeeded, deleted 5 rows"));
        assertThat(outcome.stderr()).contains("INFO").contains("Purge finished: refresh-tokens: succeeded")
                .contains("Purge finished: password-resets: succeeded");
    }

    @Test
    void jsonPrintsOneObjectPerJobWithTheRunsFields() throws Exception {
        TestDatabase db = POSTGRES.database();
        referenceOneDoomedToken(db);
        try {
            CliRunner.Outcome outcome = CliRunner.run("cleanup", config(), "--json");

            assertThat(ExitCode.of(outcome.error())).as(outcome.output()).isEqualTo(ExitCode.ROWS_SKIPPED);
            List<JsonNode> reports = parseLines(outcome.stdout());
            assertThat(reports).hasSize(2);
            JsonNode refreshTokens = reports.get(0);
            assertThat(fieldNames(refreshTokens)).containsExactly("job", "runId", "status", "dryRun",
                    "rowsDeleted", "batches", "rowsSkipped", "skipped", "durationMs", "trigger", "node", "error");
            assertThat(refreshTokens.get("job").asText()).isEqualTo("refresh-tokens");
            assertThat(refreshTokens.get("status").asText()).isEqualTo("partial");
            assertThat(refreshTokens.get("rowsDeleted").asLong()).isEqualTo(39);
            assertThat(refreshTokens.get("rowsSkipped").asLong()).isEqualTo(1);
            assertThat(refreshTokens.get("skipped").get(0).get("reason").asText()).contains("cli_sessions_token_id_fkey");
            assertThat(refreshTokens.get("skipped").get(0).get("rows").asLong()).isEqualTo(1);
            assertThat(refreshTokens.get("dryRun").asBoolean()).isFalse();
            assertThat(refreshTokens.get("trigger").asText()).isEqualTo("cli");
            assertThat(refreshTokens.get("runId").asLong()).isEqualTo(db.queryLong(
                    "SELECT max(id) FROM sweeper.cleanup_runs WHERE job = 'refresh-tokens'"));
            assertThat(refreshTokens.get("error").asText()).contains("could not be deleted");
            JsonNode passwordResets = reports.get(1);
            assertThat(passwordResets.get("job").asText()).isEqualTo("password-resets");
            assertThat(passwordResets.get("status").asText()).isEqualTo("succeeded");
            assertThat(passwordResets.get("rowsDeleted").asLong()).isEqualTo(5);
            assertThat(passwordResets.get("skipped").isArray()).isTrue();
            assertThat(passwordResets.get("error").isNull()).isTrue();
            assertThat(outcome.stderr()).contains("Purge finished");
        } finally {
            db.execute("DROP TABLE public.cli_sessions");
        }
    }

    @Test
    void purgesOneJobAndPrintsItsSummary() throws Exception {
        TestDatabase db = POSTGRES.database();

        CliRunner.Outcome outcome = CliRunner.run("cleanup", config(), "--job", "refresh-tokens");

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
        assertThat(outcome.stdout().lines().filter(line -> line.startsWith("refresh-tokens: succeeded, deleted 40 rows")))
                .hasSize(1);
        assertThat(outcome.stdout().lines().filter(line -> line.startsWith("password-resets:"))).isEmpty();
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(60);
        assertThat(db.queryLong("SELECT count(*) FROM public.password_resets")).isEqualTo(20);
    }

    @Test
    void failsWithANonZeroOutcomeWhenAJobFails() throws Exception {
        TestDatabase db = POSTGRES.database();
        db.execute("SELECT 1");
        String yaml = CliRunner.databaseYaml(db) + "cleanup:\n  passwordResets:\n    usedColumn: used_at\n";

        CliRunner.Outcome outcome = CliRunner.run("cleanup", CliRunner.writeConfig(tmp, yaml).toString());

        assertThat(outcome.succeeded()).isFalse();
        assertThat(ExitCode.of(outcome.error())).isEqualTo(ExitCode.FAILED);
        assertThat(outcome.stderr()).contains("cleanup.passwordResets.usedColumn: column \"used_at\" does not exist");
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(100);
    }

    @Test
    void exitsWithThreeWhenRowsWereSkipped() throws Exception {
        TestDatabase db = POSTGRES.database();
        referenceOneDoomedToken(db);
        try {
            CliRunner.Outcome outcome = CliRunner.run("cleanup", config(), "--job", "refresh-tokens");

            assertThat(ExitCode.of(outcome.error())).as(outcome.output()).isEqualTo(ExitCode.ROWS_SKIPPED);
            assertThat(outcome.stdout()).contains("refresh-tokens: partial, deleted 39 rows")
                    .contains("skipped 1 doomed rows").contains("cli_sessions_token_id_fkey");
            assertThat(outcome.stderr()).contains("left doomed rows they could not delete");
        } finally {
            db.execute("DROP TABLE public.cli_sessions");
        }
    }

    @Test
    void rejectsAnUnknownJob() throws Exception {
        CliRunner.Outcome outcome = CliRunner.run("cleanup", config(), "--job", "sessions");

        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.output()).contains("--job").contains("refresh-tokens");
    }

    /** A session row that still references the doomed token rt1: its purge must skip that row. */
    private static void referenceOneDoomedToken(TestDatabase db) {
        db.execute("CREATE TABLE public.cli_sessions (token_id uuid REFERENCES public.refresh_tokens (id));"
                + " INSERT INTO public.cli_sessions SELECT id FROM public.refresh_tokens WHERE token_hash = 'rt1'");
    }

    private static List<JsonNode> parseLines(String stdout) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> objects = new ArrayList<>();
        for (String line : stdout.lines().toList()) {
            JsonNode parsed = json.readTree(line);
            assertThat(parsed.isObject()).as(line).isTrue();
            objects.add(parsed);
        }
        return objects;
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private String config() throws Exception {
        return CliRunner.writeConfig(tmp, CliRunner.databaseYaml(POSTGRES.database())).toString();
    }
}
