package io.tokensweeper.purge.pacing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The WAL budget's accounting, with positions and times given: no database, no clock. */
class WalBudgetTest {
    private static final long MIB = 1024 * 1024;
    private static final long MS = 1_000_000;

    @Test
    void aBatchOverTheBudgetPausesLongEnoughForBatchAndPauseToAverageIt() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);

        // 8 MiB in 40 ms at 32 MiB a second: 250 ms in all, so 210 ms of pause.
        assertThat(budget.pauseAfter(8 * MIB, 40 * MS)).isEqualTo(210 * MS);
    }

    @Test
    void aBatchWithinTheBudgetDoesNotPause() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);

        assertThat(budget.pauseAfter(MIB, 40 * MS)).isZero();
    }

    @Test
    void timeSpentSinceTheLastPauseCountsWhateverItWasSpentOn() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);
        budget.pauseEnded(0, 0);

        // Statements that deleted nothing, a rolled-back one, then a batch: 8 MiB in 300 ms since the last pause.
        assertThat(budget.pauseAfter(8 * MIB, 300 * MS)).isZero();
    }

    @Test
    void whatOtherSessionsWriteDuringThePausesIsNotTheRunsWal() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);
        long firstPause = budget.pauseAfter(8 * MIB, 40 * MS);
        assertThat(firstPause).isEqualTo(210 * MS);
        // During the 210 ms pause other sessions wrote 21 MiB (100 MiB a second).
        budget.pauseEnded(29 * MIB, 250 * MS);

        // The next window: 8 MiB of the run's own in 40 ms, and 4 MiB of the others' meanwhile.
        long second = budget.pauseAfter(29 * MIB + 12 * MIB, 290 * MS);

        assertThat(budget.ownBytes(29 * MIB + 12 * MIB, 290 * MS)).isEqualTo(8 * MIB);
        assertThat(second).isEqualTo(210 * MS);
    }

    @Test
    void aBulkLoadElsewhereDoesNotStallTheRun() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);
        budget.pauseAfter(8 * MIB, 40 * MS);
        // 200 MiB a second of others' WAL during the pause, and during the whole next window of 1 s.
        budget.pauseEnded(8 * MIB + 42 * MIB, 250 * MS);
        long lsn = 50 * MIB + 200 * MIB + 8 * MIB;

        assertThat(budget.pauseAfter(lsn, 1_250 * MS)).isZero();
    }

    @Test
    void aPauseReadAgainHalfWayEndsOnceTheRunsOwnWalIsPaidFor() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);
        assertThat(budget.pauseAfter(8 * MIB, 40 * MS)).isEqualTo(210 * MS);

        assertThat(budget.pauseLeft(8 * MIB, 140 * MS)).isEqualTo(110 * MS);
        assertThat(budget.pauseLeft(8 * MIB, 250 * MS)).isZero();
    }

    @Test
    void aBulkLoadThatBeganDuringTheBatchStopsCountingAsTheRunsOnceThePauseShowsIt() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);
        // 8 MiB of the run's own in 40 ms, and 40 MiB of a bulk load (1,000 MiB a second) that began with the batch:
        // all of it looks like the run's, 1.5 s of budget.
        assertThat(budget.pauseAfter(48 * MIB, 40 * MS)).isEqualTo(1_460 * MS);

        // 100 ms into the pause the bulk load has written 100 MiB more: its rate is known, the run's 8 MiB remain.
        assertThat(budget.pauseLeft(148 * MIB, 140 * MS)).isEqualTo(110 * MS);
    }

    @Test
    void aPauseTooShortToTellKeepsTheLastReadingOfTheOthers() {
        WalBudget budget = new WalBudget(32 * MIB);
        budget.begin(0, 0);
        budget.pauseAfter(0, 100 * MS);
        budget.pauseEnded(10 * MIB, 200 * MS); // 100 MiB a second
        budget.pauseAfter(20 * MIB, 300 * MS);
        budget.pauseEnded(40 * MIB, 301 * MS); // 1 ms: not a reading

        assertThat(budget.ownBytes(50 * MIB, 401 * MS)).isZero();
    }

    @Test
    void withoutAFirstReadingThereIsNoPause() {
        WalBudget budget = new WalBudget(32 * MIB);

        assertThat(budget.pauseAfter(100 * MIB, 10 * MS)).isZero();
    }
}
