package io.tokensweeper.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.bench.BenchData.Layout;
import io.tokensweeper.bench.BenchData.State;
import io.tokensweeper.purge.BatchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's tables, ratios and growth sentences, the plan and the command's options: no database. */
class BenchReportTest {
    private static final BenchPlan.Settings SETTINGS = new BenchPlan.Settings(
            new BatchSettings(5000, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofHours(1)),
            20_000, 20, 48);

    private static ScenarioResult result(String name, long rows, double seconds, PageCount pages, boolean workload,
                                         double p99Ms) {
        String how = name.equals(BenchScenarios.BASELINE) ? "" : name.startsWith("single") ? "Seq Scan" : "heap walk, 3 batches";
        return new ScenarioResult(name, how, rows, seconds,
                pages, workload, 1.0, p99Ms, p99Ms * 2, 30, 0, 1_048_576L * 3, 0, List.of(), 0);
    }

    @Test
    void aCaseUnderTheWorkloadComparesWithTheSingleDeleteAndTheNoPurgeWindow() {
        String table = BenchReport.caseTable(List.of(
                result(BenchScenarios.BASELINE, 0, 10, PageCount.ZERO, true, 4.0),
                result(Scenario.SINGLE_DELETE, 3_000_000, 4.0, new PageCount(3_060_000, 0, 0), true, 3200.0),
                result("token-sweeper, defaults (batch 5000)", 3_000_000, 8.0, new PageCount(3_120_000, 6_000, 0), true,
                        12.0)));

        assertThat(table.lines().findFirst().orElseThrow())
                .contains("| pages/row | pages/row × single DELETE | pages: heap + index |")
                .contains("| live p99 ms |").contains("| p99 × no purge |");
        assertThat(table).contains("| no purge (live workload alone) |  | 0 | 10.00 | 0 |  |  |  |  | 1.00 | 4.00 | 8.0 | 1.00 |")
                .contains("| single DELETE (pg_cron / @Cron) | Seq Scan | 3,000,000 | 4.00 | 750,000 | 1.00 | 1.02 | 1.00"
                        + " | 3,060,000 + 0 | 1.00 | 3200.00 | 6400.0 | 800.00 | 30 | 0 | 3.0 |")
                // half the single DELETE's rows/s; 1.042 pages/row, 1.02x the single DELETE's 1.02
                .contains("| token-sweeper, defaults (batch 5000) | heap walk, 3 batches | 3,000,000 | 8.00 | 375,000 | 0.50"
                        + " | 1.04 | 1.02 | 3,120,000 + 6,000 | 1.00 | 12.00 | 24.0 | 3.00 | 30 | 0 | 3.0 |");
    }

    @Test
    void aCaseWithoutTheWorkloadHasNoLatencyColumns() {
        String table = BenchReport.caseTable(List.of(
                result(Scenario.SINGLE_DELETE, 66_000, 1.5, new PageCount(70_000, 500, 0), false, 0),
                result("token-sweeper, defaults (batch 5000)", 66_000, 3.0, new PageCount(190_000, 40, 2), false, 0)));

        assertThat(table).doesNotContain("live").doesNotContain("no purge")
                .contains("| 66,000 | 3.00 | 22,000 | 0.50 | 2.88 | 2.70 | 190,000 + 40 + 2 TOAST | 30 | 3.0 |");
    }

    @Test
    void ratiosAreBlankWithoutAReference() {
        assertThat(BenchReport.ratio(1, 0)).isEmpty();
        assertThat(BenchReport.ratio(3, 4)).isEqualTo("0.75");
        String table = BenchReport.caseTable(List.of(
                result("token-sweeper, defaults (batch 5000)", 10, 1.0, new PageCount(25, 0, 0), false, 0)));
        assertThat(table).contains("| 10 | 1.00 | 10 |  | 2.50 |  | 25 + 0 |");
    }

    @Test
    void pagesPerRowKeepThreeSignificantDigitsOrSo() {
        assertThat(BenchReport.pagesPerRow(0.04321)).isEqualTo("0.043");
        assertThat(BenchReport.pagesPerRow(1.0249)).isEqualTo("1.02");
        assertThat(BenchReport.pagesPerRow(87.5)).isEqualTo("87.50");
        assertThat(BenchReport.pagesPerRow(1234.4)).isEqualTo("1234");
        assertThat(BenchReport.percent(0.0119)).isEqualTo("1.19%");
        assertThat(BenchReport.percent(0.51)).isEqualTo("51.0%");
    }

    @Test
    void theGrowthStudyStatesHowTimeAndPagesPerRowGrow() {
        List<BenchReport.GrowthRow> growth = List.of(
                growthRow(State.STEADY_STATE, 4_000_000, 1.0, 8.0),
                growthRow(State.BACKLOG, 4_000_000, 4.0, 8.0),
                growthRow(State.BACKLOG, 1_000_000, 1.0, 2.0),
                growthRow(State.STEADY_STATE, 1_000_000, 0.5, 2.0));

        String table = BenchReport.growthTable(growth);
        assertThat(table.lines().skip(2).map(l -> l.split(" \\| ")[0] + " " + l.split(" \\| ")[1]).toList())
                .containsExactly("| 1,000,000 backlog", "| 4,000,000 backlog", "| 1,000,000 steady state",
                        "| 4,000,000 steady state");
        assertThat(table).contains("| 4,000,000 | backlog | 40,000 | 4.00 | 8.00 | 0.50 | 1.00 | 2.00 | 2.00 |");

        assertThat(BenchReport.growthStatements(growth))
                .contains("- Backlog, from 1,000,000 to 4,000,000 rows (×4.0): single DELETE time ×4.0 (∝ rows^1.00),"
                        + " pages per deleted row ×1.00; token-sweeper time ×4.0 (∝ rows^1.00), pages per deleted row ×1.00.")
                .contains("- Steady state, from 1,000,000 to 4,000,000 rows (×4.0): single DELETE time ×2.0 (∝ rows^0.50),");
        assertThat(BenchReport.growthStatements(growth.subList(0, 2))).startsWith("Only one size was measured");
    }

    private static BenchReport.GrowthRow growthRow(State state, long rows, double singleSeconds, double sweeperSeconds) {
        long doomed = rows / 100;
        return new BenchReport.GrowthRow(state, rows, doomed,
                result(Scenario.SINGLE_DELETE, doomed, singleSeconds, new PageCount(doomed, 0, 0), false, 0),
                result("token-sweeper, defaults (batch 5000)", doomed, sweeperSeconds, new PageCount(2 * doomed, 0, 0),
                        false, 0));
    }

    @Test
    void theDeletesPlanIsNamedByItsScanAndIndexes() {
        assertThat(Scenario.planSummary("Delete on refresh_tokens\n  ->  Seq Scan on refresh_tokens\n"
                + "        Filter: (revoked OR (expires_at < now()))")).isEqualTo("Seq Scan");
        assertThat(Scenario.planSummary("""
                Delete on refresh_tokens
                  ->  Bitmap Heap Scan on refresh_tokens
                        Recheck Cond: (revoked OR (expires_at < now()))
                        ->  BitmapOr
                              ->  Bitmap Index Scan on refresh_tokens_revoked_idx
                              ->  Bitmap Index Scan on refresh_tokens_expires_at_idx
                                    Index Cond: (expires_at < now())"""))
                .isEqualTo("Bitmap Heap Scan (refresh_tokens_revoked_idx, refresh_tokens_expires_at_idx)");
        assertThat(Scenario.planSummary("Delete on refresh_tokens\n  ->  Index Scan using refresh_tokens_expires_at_idx"
                + " on refresh_tokens\n        Index Cond: (expires_at < now())"))
                .isEqualTo("Index Scan (refresh_tokens_expires_at_idx)");
    }

    @Test
    void sizesAreAListOfRowCountsOrNone() {
        assertThat(BenchCommand.sizes("1000000, 6_000_000,1000000")).containsExactly(1_000_000L, 6_000_000L);
        assertThat(BenchCommand.sizes("none")).isEmpty();
        assertThat(BenchCommand.sizes(BenchCommand.DEFAULT_SIZES)).hasSize(3);
        assertThatThrownBy(() -> BenchCommand.sizes("1M")).hasMessageContaining("'1M' is not a number of rows");
        assertThatThrownBy(() -> BenchCommand.sizes("10,20000")).hasMessageContaining("at least 1000");
    }

    @Test
    void theSingleDeleteRunsLastTheOthersInThePlansOrder() {
        List<Scenario> plan = BenchPlan.backlogScenarios(SETTINGS);
        List<Scenario> order = BenchCommand.runOrder(plan);

        assertThat(plan.get(0).name()).isEqualTo(Scenario.SINGLE_DELETE);
        assertThat(order).hasSameSizeAs(plan);
        assertThat(order.get(order.size() - 1).name()).isEqualTo(Scenario.SINGLE_DELETE);
        assertThat(order.subList(0, order.size() - 1)).containsExactlyElementsOf(plan.subList(1, plan.size()));
    }

    @Test
    void aCaseWithoutTheWorkloadReportsTheMedianOfItsRounds() {
        BenchCase quiet = BenchPlan.matrix(6_000_000, SETTINGS).stream().filter(c -> !c.workload()).findFirst()
                .orElseThrow();
        BenchCase live = BenchPlan.matrix(6_000_000, SETTINGS).stream().filter(BenchCase::workload).findFirst()
                .orElseThrow();
        assertThat(BenchCommand.rounds(quiet)).isEqualTo(3);
        assertThat(BenchCommand.rounds(live)).isEqualTo(1);

        List<ScenarioResult> runs = List.of(result("a", 10, 2.9, PageCount.ZERO, false, 1.0),
                result("a", 10, 2.2, PageCount.ZERO, false, 1.0), result("a", 10, 2.4, PageCount.ZERO, false, 1.0));
        assertThat(BenchCommand.median(runs).seconds()).isEqualTo(2.4);
        assertThat(BenchCommand.median(runs.subList(0, 2)).seconds()).isEqualTo(2.2);
        assertThat(BenchCommand.median(runs.subList(0, 1)).seconds()).isEqualTo(2.9);
    }

    @Test
    void theGrowthStudyReusesTheMatrixAtItsOwnSizeOnly() {
        List<BenchCase> matrix = BenchPlan.matrix(6_000_000, SETTINGS);
        for (BenchCase growth : BenchPlan.growth(6_000_000, SETTINGS)) {
            assertThat(matrix).anyMatch(m -> BenchPlan.covers(m, growth));
        }
        for (BenchCase growth : BenchPlan.growth(1_000_000, SETTINGS)) {
            assertThat(matrix).noneMatch(m -> BenchPlan.covers(m, growth));
        }
        assertThat(matrix).extracting(BenchCase::title).containsExactly(
                "Creation-ordered, backlog, live workload", "Creation-ordered, steady state, no workload",
                "Creation-ordered, steady state, live workload", "Scattered, backlog, live workload",
                "Scattered, steady state, no workload");
    }

    @Test
    void theSteadyStateHasTheRecommendedPartialIndexAsDbRecommendedIndexesHasIt() throws IOException {
        String recommended = Files.readString(Path.of("db/recommended-indexes.sql")).replaceAll("\\s+", " ");
        assertThat(recommended).contains("refresh_tokens_revoked_idx ON public.refresh_tokens (expires_at) WHERE revoked;");
        assertThat(new BenchData(Layout.SCATTERED, State.STEADY_STATE, 1000).seedStatements())
                .contains("CREATE INDEX refresh_tokens_revoked_idx ON public.refresh_tokens (expires_at) WHERE revoked")
                .contains("CREATE INDEX refresh_tokens_expires_at_idx ON public.refresh_tokens (expires_at)")
                .anyMatch(sql -> sql.contains("ORDER BY hashint8extended(i, 1)"));
        assertThat(new BenchData(Layout.CREATION_ORDERED, State.BACKLOG, 1000).seedStatements())
                .noneMatch(sql -> sql.contains("WHERE revoked") || sql.contains("ORDER BY"));
    }

    @Test
    void thePartitionedCaseComparesSecondsAndShowsWhatIsLeft() {
        List<ScenarioResult> results = List.of(
                partitioned(Scenario.SINGLE_DELETE, "Seq Scan", 2.0, 3_000_000, 26),
                partitioned("token-sweeper, defaults (batch 5000)", "heap walk, 600 batches", 5.0, 3_000_000, 26),
                partitioned("token-sweeper, defaults + dropDoomedPartitions", "heap walk, 26 batches", 0.5, 60_000, 13));

        String table = BenchReport.partitionedTable(results);

        assertThat(table.lines().findFirst().orElseThrow()).contains("| rows removed | seconds | × single DELETE (seconds) |")
                .contains("| dead tuples left | partitions left |").doesNotContain("pages");
        assertThat(table).contains("| single DELETE (pg_cron / @Cron) | Seq Scan | 3,000,000 | 2.00 | 1.00 | 30 | 3.0 |"
                        + " 3,000,000 | 26 |")
                .contains("| token-sweeper, defaults (batch 5000) | heap walk, 600 batches | 3,000,000 | 5.00 | 2.50 |")
                .contains("| token-sweeper, defaults + dropDoomedPartitions | heap walk, 26 batches | 3,000,000 | 0.50 | 0.25"
                        + " | 30 | 3.0 | 60,000 | 13 |");
        // Not measured: blank, not -1.
        assertThat(BenchReport.partitionedTable(List.of(result(Scenario.SINGLE_DELETE, 10, 1.0, PageCount.ZERO, false, 0))))
                .contains("| 30 | 3.0 |  |  |");
    }

    @Test
    void thePartitionedCaseIsTheBacklogInWeeklyPartitionsWithTheIndexesOnTheParent() {
        BenchCase partitioned = BenchPlan.partitioned(6_000_000, SETTINGS);
        assertThat(partitioned.title()).isEqualTo("Partitioned by expiry (weekly, creation-ordered), backlog, no workload");
        assertThat(partitioned.scenarios()).extracting(Scenario::name).containsExactly(Scenario.SINGLE_DELETE,
                "token-sweeper, defaults (batch 5000)", "token-sweeper, defaults + dropDoomedPartitions");
        assertThat(partitioned.data().seedStatements())
                .anyMatch(sql -> sql.contains("PARTITION BY RANGE (expires_at)"))
                .anyMatch(sql -> sql.contains("FOR k IN -13 .. 12 LOOP"))
                .contains("ALTER TABLE public.refresh_tokens ADD PRIMARY KEY (id, expires_at)")
                .noneMatch(sql -> sql.contains("DEFAULT PARTITION") || sql.contains("ORDER BY"));
        assertThat(BenchPlan.matrix(6_000_000, SETTINGS)).noneMatch(c -> c.data().layout() == Layout.PARTITIONED);
    }

    private static ScenarioResult partitioned(String name, String how, double seconds, long deadTuples,
                                              long partitions) {
        return new ScenarioResult(name, how, 3_000_000, seconds, PageCount.ZERO, false, Double.NaN, Double.NaN,
                Double.NaN, 30, 0, 1_048_576L * 3, 0, List.of(), 0, deadTuples, partitions);
    }
}
