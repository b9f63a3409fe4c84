package io.tokensweeper.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokensweeper.testing.CliRunner;
import io.tokensweeper.testing.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    void writesEveryCaseTheGrowthStudyAndTheCharts() throws Exception {
        Path config = CliRunner.writeConfig(tmp, CliRunner.databaseYaml(POSTGRES.database()));
        Path out = tmp.resolve("bench");

        CliRunner.Outcome outcome = CliRunner.run("bench", config.toString(), "--rows", "3000", "--sizes", "2000,3000",
                "--rate", "50", "--baseline-seconds", "1", "--settle-ms", "200", "--skip-cluster-cost",
                "--out", out.toString());

        assertThat(outcome.succeeded()).as(outcome.output()).isTrue();
        String results = Files.readString(out.resolve("RESULTS.md"));
        assertThat(results)
                .contains("## Creation-ordered, backlog, live workload: 1,534 of 3,000 rows doomed (51.1%)")
                .contains("## Creation-ordered, steady state, no workload: 37 of 3,000 rows doomed (1.23%)")
                .contains("## Creation-ordered, steady state, live workload:")
                .contains("## Scattered, backlog, live workload: 1,534 of 3,000 rows doomed (51.1%)")
                .contains("## Scattered, steady state, no workload: 37 of 3,000 rows doomed (1.23%)")
                .contains("| no purge (live workload alone) |  | 0 |")
                .containsPattern("\\| single DELETE \\(pg_cron / @Cron\\) \\| Seq Scan \\| 1,[0-9]{3} \\|")
                .containsPattern("\\| token-sweeper, defaults \\(batch 20000\\) \\| heap walk, [0-9]+ batch(es)? \\| 1,[0-9]{3} \\|")
                .contains("token-sweeper, batch 50000").contains("![live workload latency")
                .contains("| 2,000 | backlog |").contains("| 3,000 | steady state |")
                .contains("- Backlog, from 2,000 to 3,000 rows (×1.5): single DELETE time")
                .contains("![seconds and pages per deleted row against table size](cost-by-size.png)")
                .contains("| **total** |")
                // the partitioned case (--partitioned, on by default): half the partitions dropped whole
                .containsPattern("## Partitioned by expiry \\(weekly, creation-ordered\\), backlog, no workload: 1,5[0-9]{2}"
                        + " of 3,000 rows doomed")
                .containsPattern("\\| token-sweeper, defaults \\+ dropDoomedPartitions \\| heap walk, [0-9]+ batch(es)?"
                        + " \\| 1,5[0-9]{2} \\| [0-9.]+ \\| [0-9.]+ \\| [0-9]+ \\| [0-9.]+ \\| [0-9,]+ \\| 13 \\|")
                // pages are counted on a plain table (its own only leaf) as on a partitioned one
                .containsPattern("\\| token-sweeper, defaults \\(batch 20000\\) \\| [^|]+ \\| [0-9,]+ \\| [0-9.]+ \\|"
                        + " [0-9,]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| [1-9][0-9,]* \\+ [0-9,]+ \\|");
        // Without the workload nothing else changes the table: both purges delete exactly the doomed rows.
        Matcher steady = Pattern.compile("## Scattered, steady state, no workload: (\\d+) of.*?\\| single DELETE"
                + " [^\\n]*? \\| (\\d+) \\| [^\\n]*\\n\\| token-sweeper, defaults \\(batch 20000\\) \\| [^|]+ \\| (\\d+) \\|",
                Pattern.DOTALL).matcher(results);
        assertThat(steady.find()).as(results).isTrue();
        assertThat(steady.group(2)).isEqualTo(steady.group(1));
        assertThat(steady.group(3)).isEqualTo(steady.group(1));
        for (String chart : new String[] {"latency.png", "cost-by-size.png"}) {
            byte[] png = Files.readAllBytes(out.resolve(chart));
            assertThat(png.length).isGreaterThan(1000);
            assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
    }

    @Test
    void refusesWalBudgetScenariosThatPacingOffWouldLeaveUnbudgeted() throws Exception {
        Path config = CliRunner.writeConfig(tmp, CliRunner.databaseYaml(POSTGRES.database())
                + "cleanup:\n  pacing:\n    enabled: false\n");

        CliRunner.Outcome outcome = CliRunner.run("bench", config.toString(), "--rows", "3000", "--out",
                tmp.resolve("bench").toString());

        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.output()).contains("--wal-budget-mib 48: the WAL-budget scenarios need"
                + " cleanup.pacing.enabled: true in the configuration (it is false)").doesNotContain("\tat ");
        assertThat(tmp.resolve("bench")).doesNotExist();
    }
}
