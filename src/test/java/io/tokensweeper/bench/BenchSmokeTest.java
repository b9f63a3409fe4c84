package io.tokensweeper.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.CliRunner;
import io.tokensweeper.testing.PostgresExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A tiny run of the benchmark, so that it cannot rot. It asserts what was written, never how fast. */
class BenchSmokeTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension();

    @TempDir
    Path tmp;

    @Test
    void writesTheResultsTableAndTheChart() throws Exception {
        Path config = CliRunner.writeConfig(tmp, CliRunner.databaseYaml(POSTGRES.database()));
        Path out = tmp.resolve("bench");

        CliRunner.Outcome outcome = CliRunner.run("bench", config.toString(), "--rows", "3000", "--rate", "50",
                "--baseline-seconds", "1", "--skip-cluster-cost", "--out", out.toString());

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
        String results = Files.readString(out.resolve("RESULTS.md"));
        assertThat(results).contains("| no purge (live workload alone) | 0 |")
                .containsPattern("\\| single DELETE \\(pg_cron / @Cron\\) \\| 1,[0-9]{3} \\|")
                .containsPattern("\\| token-sweeper, defaults \\(batch 5000\\) \\| 1,[0-9]{3} \\|")
                .contains("token-sweeper, batch 20000").contains("![live workload latency");
        byte[] png = Files.readAllBytes(out.resolve("latency.png"));
        assertThat(png.length).isGreaterThan(1000);
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }
}
