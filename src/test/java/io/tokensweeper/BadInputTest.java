package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.CliRunner;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad configurations, each answered by a message that names the key (or the database's reason), a
 * non-zero exit, no stack trace in the message, and nothing deleted. The purge is started the way an
 * outside cron would start it ({@code cleanup}), which opens the database and checks the targets
 * exactly as a starting node does. Bad HTTP requests are in HaPairHttpTest.
 */
class BadInputTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @TempDir
    static Path tmp;

    @BeforeAll
    static void seed() {
        TestDatabase db = POSTGRES.database();
        db.execute("""
                INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)
                  SELECT gen_random_uuid(), 'rt' || i, now() - interval '1 day', true FROM generate_series(1, 50) i;
                CREATE TABLE public.text_expiry (id serial, expires_at text, revoked boolean);
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sweeper_pw') THEN
                    CREATE ROLE sweeper_pw LOGIN PASSWORD 'right-password';
                  END IF;
                END $$;
                """);
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of("invalid cron", "cleanup:\n  refreshTokens:\n    cron: \"61 3 * * *\"\n",
                        "cleanup.refreshTokens.cron is not a valid cron expression '61 3 * * *': minute 61"),
                Arguments.of("cron with both day fields", "cleanup:\n  passwordResets:\n    cron: \"0 3 1 * MON\"\n",
                        "cleanup.passwordResets.cron is not a valid cron expression '0 3 1 * MON': both day-of-month"),
                Arguments.of("unknown time zone", "cleanup:\n  timeZone: Europe/Atlantis\n", "cleanup.timeZone"),
                Arguments.of("pool smaller than Quartz threads + 3",
                        "database:\n  maximumPoolSize: 4\nscheduler:\n  threadCount: 2\n",
                        "database.maximumPoolSize 4 must be at least scheduler.threadCount + 3 (5)"),
                Arguments.of("negative batch size", "cleanup:\n  batch:\n    size: -1\n",
                        "cleanup.batch.size must be greater than or equal to 1"),
                Arguments.of("unknown misfire policy", "scheduler:\n  misfirePolicy: later\n", "scheduler.misfirePolicy"),
                Arguments.of("unreachable database", "database:\n  url: jdbc:postgresql://127.0.0.1:1/auth\n"
                        + "  connectionTimeout: 1s\n", "Connection to 127.0.0.1:1 refused"),
                Arguments.of("wrong password", "database:\n  user: sweeper_pw\n  password: wrong-password\n",
                        "password authentication failed for user \"sweeper_pw\""),
                Arguments.of("missing table", "cleanup:\n  refreshTokens:\n    table: refresh_token\n",
                        "cleanup.refreshTokens.table: table public.refresh_token does not exist; tables in schema"
                                + " public: password_resets, refresh_tokens, text_expiry"),
                Arguments.of("missing column", "cleanup:\n  passwordResets:\n    expiresAtColumn: expiresAt\n",
                        "cleanup.passwordResets.expiresAtColumn: column \"expiresAt\" does not exist in"
                                + " public.password_resets; its columns are: id (uuid), user_id (uuid)"),
                Arguments.of("flag column that is the expiry column",
                        "cleanup:\n  passwordResets:\n    usedColumn: expires_at\n",
                        "cleanup.passwordResets.usedColumn: column \"expires_at\" of public.password_resets is the"
                                + " expiry column"),
                Arguments.of("wrong column type", "cleanup:\n  refreshTokens:\n    table: text_expiry\n",
                        "cleanup.refreshTokens.expiresAtColumn: column \"expires_at\" of public.text_expiry has type text"),
                Arguments.of("SQL-injection-shaped table",
                        "cleanup:\n  refreshTokens:\n    table: \"refresh_tokens; DROP TABLE public.refresh_tokens; --\"\n",
                        "cleanup.refreshTokens.table: table public.refresh_tokens; DROP TABLE public.refresh_tokens; --"
                                + " does not exist"),
                Arguments.of("SQL-injection-shaped column",
                        "cleanup:\n  refreshTokens:\n    revokedColumn: \"revoked OR true\"\n",
                        "cleanup.refreshTokens.revokedColumn: column \"revoked OR true\" does not exist"),
                Arguments.of("SQL-injection-shaped schema name", "database:\n  schema: \"x; drop schema public\"\n",
                        "database.schema must be a lower-case PostgreSQL identifier"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void isRefusedWithAMessageNamingTheCauseAndDeletesNothing(String name, String yaml, String message)
            throws Exception {
        TestDatabase db = POSTGRES.database();
        String config = configFor(db, yaml);

        CliRunner.Outcome outcome = CliRunner.run("cleanup", CliRunner.writeConfig(tmp, config).toString());

        assertThat(outcome.succeeded()).as(outcome.output()).isFalse();
        assertThat(outcome.stderr().replace("\n", " ")).as(outcome.output()).contains(message);
        assertThat(outcome.stderr()).doesNotContain("\tat ");
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(50);
    }

    /** The test database's connection, with the case's own "database:" keys laid over it. */
    private static String configFor(TestDatabase db, String yaml) {
        java.util.Map<String, String> database = new java.util.LinkedHashMap<>();
        database.put("url", db.url());
        database.put("user", db.user());
        database.put("password", "\"" + db.password() + "\"");
        StringBuilder rest = new StringBuilder();
        boolean inDatabase = false;
        for (String line : yaml.split("\n")) {
            if (line.equals("database:")) {
                inDatabase = true;
            } else if (inDatabase && line.startsWith("  ")) {
                String[] keyValue = line.trim().split(":\\s*", 2);
                database.put(keyValue[0], keyValue[1]);
            } else {
                inDatabase = false;
                rest.append(line).append('\n');
            }
        }
        StringBuilder config = new StringBuilder("database:\n");
        database.forEach((key, value) -> config.append("  ").append(key).append(": ").append(value).append('\n'));
        return config.append(rest).toString();
    }
}
