package io.tokensweeper.bench;

import java.util.List;

/**
 * One table in one state, purged by each of its scenarios on its own fresh clone, with or without the live
 * auth workload running; {@code baseline}: first the workload alone, for the latency ratios.
 */
record BenchCase(BenchData data, boolean workload, boolean baseline, List<Scenario> scenarios) {
    BenchCase {
        if (baseline && !workload) {
            throw new IllegalArgumentException("a no-purge baseline needs the live workload");
        }
        scenarios = List.copyOf(scenarios);
    }

    String title() {
        return BenchReport.capitalized(data.layout().label()) + ", " + data.state().label() + ", "
                + (workload ? "live workload" : "no workload");
    }
}
