package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The piece size, over densities: pure arithmetic, no database. */
class BatchSizerTest {
    @Test
    void theFirstPieceHoldsAboutTheTargetAtTheMeasuredDensity() {
        assertThat(new BatchSizer(5_000, 100).blocks()).isEqualTo(50);
        assertThat(new BatchSizer(5_000, 0.5).blocks()).isEqualTo(10_000);
        assertThat(new BatchSizer(5_000, 300).blocks()).isEqualTo(17);
    }

    @Test
    void aFrontWithoutDoomedRowsGivesALargeButCappedPiece() {
        assertThat(new BatchSizer(5_000, 0).blocks()).isEqualTo(5_000);
        assertThat(new BatchSizer(100_000, 0).blocks()).isEqualTo(BatchSizer.MAX_BLOCKS);
    }

    @Test
    void aPieceThatHitTheRowLimitShrinksToWhatItGotThrough() {
        BatchSizer sizer = new BatchSizer(1_000, 0);
        sizer.measured(9, 1_000, true);
        assertThat(sizer.blocks()).isEqualTo(9);
    }

    @Test
    void otherwiseTheSizeMovesTowardsTheTargetAtMostDoublingOrHalving() {
        BatchSizer sizer = new BatchSizer(1_000, 100);
        assertThat(sizer.blocks()).isEqualTo(10);
        sizer.measured(10, 250, false);
        assertThat(sizer.blocks()).isEqualTo(20);
        sizer.measured(20, 0, false);
        assertThat(sizer.blocks()).isEqualTo(40);
        sizer.measured(40, 999, false);
        assertThat(sizer.blocks()).isEqualTo(41);
        sizer.measured(41, 5_000, false);
        assertThat(sizer.blocks()).isEqualTo(21);
    }

    @Test
    void aTimeoutHalvesThePieceButNeverBelowOneBlock() {
        BatchSizer sizer = new BatchSizer(100, 100);
        sizer.tooLarge();
        assertThat(sizer.blocks()).isEqualTo(1);
        sizer.tooLarge();
        assertThat(sizer.blocks()).isEqualTo(1);
    }

    @Test
    void neverGrowsBeyondTheCap() {
        BatchSizer sizer = new BatchSizer(100_000, 10);
        for (int i = 0; i < 10; i++) {
            sizer.measured(sizer.blocks(), 0, false);
        }
        assertThat(sizer.blocks()).isEqualTo(BatchSizer.MAX_BLOCKS);
    }

    @Test
    void refusesANonsenseTarget() {
        assertThatThrownBy(() -> new BatchSizer(0, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
