package io.tokensweeper.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.CliRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * config.yml as it reads after DATABASE_PASSWORD='pa"ss-SECRET' is substituted into its double-quoted value:
 * malformed YAML. No command may print the password; each names the key and the line instead.
 */
class SecretSafeConfigurationTest {
    private static final String SECRET = "ss-SECRET-4711";
    private static final String YAML = "database:\n"
            + "  url: jdbc:postgresql://127.0.0.1:1/auth?password=" + SECRET + "\n"
            + "  user: sweeper\n"
            + "  password: \"pa\"" + SECRET + "\"\n";

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"check", "migrate", "cleanup", "server", "bench"})
    void noCommandPrintsTheLineWithThePassword(String command) throws Exception {
        Path config = CliRunner.writeConfig(tmp, YAML);

        CliRunner.Outcome outcome = CliRunner.run(command, config.toString());

        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.output()).doesNotContain(SECRET).doesNotContain("password: ")
                .contains("Malformed YAML at line 4, column 17 (key database.password)")
                .contains("the line is not shown");
    }

    @Test
    void theKeyOfALineIsFoundFromTheIndentationAbove() {
        List<String> lines = YAML.lines().toList();

        assertThat(YamlKeyPath.at(lines, 4)).hasValue("database.password");
        assertThat(YamlKeyPath.at(lines, 1)).hasValue("database");
        assertThat(YamlKeyPath.at(List.of("a:", "  b:", "    # c: x", "    d: 1", "  e:", "    - f: x"), 6))
                .hasValue("a.e.f");
        assertThat(YamlKeyPath.at(lines, 9)).isEmpty();
    }

    @Test
    void aTimeZoneThatDoesNotExistIsNamedWithItsKeyAndValue() throws Exception {
        Path config = CliRunner.writeConfig(tmp, "cleanup:\n  timeZone: Mars/Base\n");

        CliRunner.Outcome outcome = CliRunner.run("check", config.toString());

        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.output()).contains("cleanup.timeZone; 'Mars/Base' is not a time zone")
                .doesNotContain("reference chain");
    }
}
