package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar token-sweeper.jar cleanup} as a cron runs it, with stdout and stderr in separate files:
 * in-process tests swap System.out and could hide a log appender that writes to the real stdout.
 */
class CleanupCommandIT {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @TempDir
    Path tmp;

    @BeforeEach
    void seed() {
        POSTGRES.database().execute("""
                TRUNCATE public.refresh_tokens, public.password_resets;
                INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)
                  SELECT gen_random_uuid(), 'rt' || i, now() + interval '1 day', i <= 12 FROM generate_series(1, 50) i;
                INSERT INTO public.password_resets (user_id, token_hash, expires_at, used)
                  SELECT gen_random_uuid(), 'pr' || i, now() - interval '1 hour', false FROM generate_series(1, 4) i;
                """);
    }

    @Test
    void stdoutIsExactlyOneSummaryLinePerJobAndStderrHasTheLog() throws Exception {
        Run run = cleanup("--dry-run");

        assertThat(run.exitCode).as(run.stderr).isZero();
        assertThat(run.stdout.lines().toList()).as(run.stderr).satisfiesExactly(
                line -> assertThat(line).startsWith("refresh-tokens: succeeded, would delete 12 rows"),
                line -> assertThat(line).startsWith("password-resets: succeeded, would delete 4 rows"));
        assertThat(run.stderr).contains("INFO").contains("Purge finished: refresh-tokens: succeeded")
                .contains("Purge finished: password-resets: succeeded");
    }

    @Test
    void jsonStdoutIsOneObjectPerJob() throws Exception {
        Run run = cleanup("--json");

        assertThat(run.exitCode).as(run.stderr).isZero();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> reports = new ArrayList<>();
        for (String line : run.stdout.lines().toList()) {
            JsonNode report = json.readTree(line);
            assertThat(report.isObject()).as(line).isTrue();
            reports.add(report);
        }
        assertThat(reports).as(run.stdout).hasSize(2);
        assertThat(reports.get(0).get("job").asText()).isEqualTo("refresh-tokens");
        assertThat(reports.get(0).get("rowsDeleted").asLong()).isEqualTo(12);
        assertThat(reports.get(1).get("job").asText()).isEqualTo("password-resets");
        assertThat(reports.get(1).get("rowsDeleted").asLong()).isEqualTo(4);
        assertThat(reports).allSatisfy(report -> assertThat(report.get("status").asText()).isEqualTo("succeeded"));
        assertThat(run.stderr).contains("Purge finished");
        assertThat(POSTGRES.database().queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(38);
    }

    private record Run(int exitCode, String stdout, String stderr) {
    }

    private Run cleanup(String... options) throws Exception {
        TestDatabase db = POSTGRES.database();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-jar", System.getProperty("sweeper.jar", "target/token-sweeper.jar"),
                "cleanup", "config.yml"));
        command.addAll(List.of(options));
        Path stdout = tmp.resolve("stdout");
        Path stderr = tmp.resolve("stderr");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        builder.environment().putAll(Map.of("DATABASE_URL", db.url(), "DATABASE_USER", db.user(),
                "DATABASE_PASSWORD", db.password(), "SWEEPER_ENV", "production"));
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("cleanup still running after 120 s:\n" + Files.readString(stderr));
        }
        return new Run(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
    }
}
