package io.tokensweeper.bench;

import io.tokensweeper.bench.BenchData.Layout;
import io.tokensweeper.bench.BenchData.State;
import io.tokensweeper.purge.BatchSettings;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.purge.PurgeMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the benchmark runs. A scenario is one line in a list below; a case is a table state with its
 * scenarios. The full matrix runs at one size, the growth study (single DELETE against the defaults) at
 * every size of --sizes.
 */
final class BenchPlan {
    /** The settings the scenarios are built from: config.yml's batch settings and the command's options. */
    record Settings(BatchSettings defaults, int tunedBatchSize, int gentlePauseMs, int walBudgetMib) {
        /** The small batches that spread a WAL budget's pauses finely (measured: see bench/FINDINGS.md). */
        static final int BUDGET_BATCH_SIZE = 2_000;

        BatchSettings withWalBudget(BatchSettings batch) {
            return batch.withPacing(batch.pacing().withMaxWalPerSecond(walBudgetMib * 1024L * 1024));
        }
    }

    private BenchPlan() {
    }

    static Scenario defaults(Settings settings) {
        return Scenario.sweeper("token-sweeper, defaults (batch " + settings.defaults().size() + ")",
                settings.defaults());
    }

    /**
     * A backlog: about half the table doomed. One line per scenario; for settings outside BatchSettings,
     * {@code Scenario.service(name, pool -> new PurgeService(...))}.
     */
    static List<Scenario> backlogScenarios(Settings settings) {
        BatchSettings defaults = settings.defaults();
        return List.of(
                Scenario.singleDelete(),
                defaults(settings),
                Scenario.sweeper("token-sweeper, batch " + defaults.size() + " + " + settings.gentlePauseMs()
                        + " ms pauses", defaults.withPause(Duration.ofMillis(settings.gentlePauseMs()))),
                Scenario.sweeper("token-sweeper, WAL budget " + settings.walBudgetMib() + " MiB/s",
                        settings.withWalBudget(defaults)),
                Scenario.sweeper("token-sweeper, batch " + Settings.BUDGET_BATCH_SIZE + " + WAL budget "
                        + settings.walBudgetMib() + " MiB/s",
                        settings.withWalBudget(defaults.withSize(Settings.BUDGET_BATCH_SIZE))),
                Scenario.sweeper("token-sweeper, batch " + settings.tunedBatchSize(),
                        defaults.withSize(settings.tunedBatchSize())),
                Scenario.sweeper("token-sweeper, 2 workers", defaults.withWorkers(2)),
                Scenario.sweeper("token-sweeper, 2 workers, batch " + settings.tunedBatchSize(),
                        defaults.withWorkers(2).withSize(settings.tunedBatchSize())));
    }

    /** The steady state: about 1% of the table doomed. */
    static List<Scenario> steadyStateScenarios(Settings settings) {
        return List.of(
                Scenario.singleDelete(),
                defaults(settings),
                Scenario.sweeper("token-sweeper, index walk forced", settings.defaults()
                        .withMethod(Optional.of(PurgeMethod.INDEX))),
                Scenario.sweeper("token-sweeper, heap walk forced", settings.defaults()
                        .withMethod(Optional.of(PurgeMethod.HEAP))));
    }

    /** The full matrix at one size, in the report's order. */
    static List<BenchCase> matrix(long rows, Settings settings) {
        List<BenchCase> cases = new ArrayList<>();
        for (Layout layout : List.of(Layout.CREATION_ORDERED, Layout.SCATTERED)) {
            cases.add(new BenchCase(new BenchData(layout, State.BACKLOG, rows), true, true,
                    backlogScenarios(settings)));
            cases.add(new BenchCase(new BenchData(layout, State.STEADY_STATE, rows), false, false,
                    steadyStateScenarios(settings)));
            if (layout == Layout.CREATION_ORDERED) {
                // The steady state once more, under the live workload: how much a daily run disturbs it.
                cases.add(new BenchCase(new BenchData(layout, State.STEADY_STATE, rows), true, true,
                        steadyStateScenarios(settings)));
            }
        }
        return cases;
    }

    /**
     * The backlog in a table partitioned by expiry, no other traffic: about half of it in partitions that
     * expired whole. Row deletion (the single DELETE, token-sweeper's defaults) against dropping those partitions
     * (dropDoomedPartitions, the revoked rows of the others deleted row by row).
     */
    static BenchCase partitioned(long rows, Settings settings) {
        return new BenchCase(new BenchData(Layout.PARTITIONED, State.BACKLOG, rows), false, false,
                List.of(Scenario.singleDelete(), defaults(settings), Scenario.service(
                        "token-sweeper, defaults + dropDoomedPartitions", pool -> {
                            CleanupFactory cleanup = Scenario.refreshTokensOnly();
                            cleanup.getRefreshTokens().setDropDoomedPartitions(true);
                            return Scenario.purgeService(cleanup, settings.defaults(), pool);
                        })));
    }

    /** The growth study's cases at one size: the creation-ordered table, each state as in the matrix. */
    static List<BenchCase> growth(long rows, Settings settings) {
        List<Scenario> scenarios = List.of(Scenario.singleDelete(), defaults(settings));
        return List.of(
                new BenchCase(new BenchData(Layout.CREATION_ORDERED, State.BACKLOG, rows), true, false, scenarios),
                new BenchCase(new BenchData(Layout.CREATION_ORDERED, State.STEADY_STATE, rows), false, false,
                        scenarios));
    }

    /** Whether a case already run measures what a growth case would, so the growth study can reuse it. */
    static boolean covers(BenchCase done, BenchCase growth) {
        return done.data().equals(growth.data()) && done.workload() == growth.workload()
                && growth.scenarios().stream().allMatch(g -> done.scenarios().stream()
                        .anyMatch(d -> d.name().equals(g.name())));
    }
}
