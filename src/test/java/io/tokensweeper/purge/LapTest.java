package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run's walk: from where the last stopped to the end, then around to where it began. No database. */
class LapTest {
    /** Walks the lap in pieces of {@code blocks}, as the engine does, and lists the pieces. */
    private static List<String> walk(Lap lap, long blocks, long tableBlocksAtTheEnd) {
        List<String> pieces = new ArrayList<>();
        while (true) {
            if (lap.atLegEnd()) {
                if (lap.needsEndRecheck()) {
                    lap.endRechecked(tableBlocksAtTheEnd);
                    continue;
                }
                if (!lap.canWrap()) {
                    return pieces;
                }
                lap.wrap();
                continue;
            }
            Tid end = lap.pieceEnd(blocks);
            pieces.add(lap.position() + "-" + end);
            lap.advanceTo(end);
        }
    }

    @Test
    void aFirstLapGoesFromTheStartToTheEnd() {
        Lap lap = new Lap(Tid.START, 25);
        assertThat(walk(lap, 10, 25)).containsExactly("(0,0)-(10,0)", "(10,0)-(20,0)", "(20,0)-(25,0)");
        assertThat(lap.percentDone()).isEqualTo(100);
    }

    @Test
    void rowsAppendedDuringTheRunAreIncluded() {
        assertThat(walk(new Lap(Tid.START, 20), 10, 27))
                .containsExactly("(0,0)-(10,0)", "(10,0)-(20,0)", "(20,0)-(27,0)");
    }

    @Test
    void aLapThatResumesGoesToTheEndAndWrapsAroundToWhereItBegan() {
        Lap lap = new Lap(new Tid(12, 7), 25);
        assertThat(walk(lap, 10, 25)).containsExactly("(12,7)-(22,0)", "(22,0)-(25,0)", "(0,0)-(10,0)",
                "(10,0)-(12,7)");
        assertThat(lap.resumePosition()).isEqualTo(new Tid(12, 7));
        assertThat(lap.percentDone()).isEqualTo(100);
    }

    @Test
    void aPositionPastTheEndOfAShrunkenTableStartsAtTheFront() {
        Lap lap = new Lap(new Tid(90, 3), 25);
        assertThat(lap.origin()).isEqualTo(Tid.START);
        assertThat(walk(lap, 30, 25)).containsExactly("(0,0)-(25,0)");
    }

    @Test
    void anEmptyTableHasNothingToWalk() {
        assertThat(walk(new Lap(Tid.START, 0), 10, 0)).isEmpty();
    }

    @Test
    void progressCountsTheWrappedPartToo() {
        Lap lap = new Lap(Tid.blockStart(50), 100);
        lap.advanceTo(Tid.blockStart(75));
        assertThat(lap.percentDone()).isEqualTo(25);
        lap.advanceTo(Tid.blockStart(100));
        lap.endRechecked(100);
        lap.wrap();
        lap.advanceTo(Tid.blockStart(25));
        assertThat(lap.percentDone()).isEqualTo(75);
    }

    @Test
    void tidsParseAndCompareAsPostgresDoes() {
        assertThat(Tid.parse("(12,5)")).isEqualTo(new Tid(12, 5));
        assertThat(new Tid(3, 9).compareTo(new Tid(4, 1))).isNegative();
        assertThat(new Tid(3, 9).next()).isEqualTo(new Tid(3, 10));
        assertThat(new Tid(3, 9).literal()).isEqualTo("'(3,9)'::tid");
    }
}
