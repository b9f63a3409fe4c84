package io.tokensweeper.purge;

/**
 * One run's walk over the heap: from where the last run stopped to the end of the table, then from the
 * first block back to where it began, so that every run continues the last and a backlog larger than
 * one run's budget is cleared across runs. The end of the table is looked at once more when reached,
 * so rows appended during the run are included. Pure position arithmetic, no JDBC.
 */
final class Lap {
    private final Tid origin;
    private Tid position;
    private long tableBlocks;
    private boolean wrapped;
    private boolean endRechecked;

    Lap(Tid resumeFrom, long tableBlocks) {
        this.tableBlocks = tableBlocks;
        this.origin = resumeFrom.block() < tableBlocks ? resumeFrom : Tid.START;
        this.position = origin;
    }

    Tid origin() {
        return origin;
    }

    Tid position() {
        return position;
    }

    long tableBlocks() {
        return tableBlocks;
    }

    /** Where the current leg ends: the end of the table, or, after wrapping, where the lap began. */
    Tid legEnd() {
        return wrapped ? origin : Tid.blockStart(tableBlocks);
    }

    boolean atLegEnd() {
        return position.compareTo(legEnd()) >= 0;
    }

    /** At the end of the first leg: whether the end must be looked at again before wrapping. */
    boolean needsEndRecheck() {
        return !wrapped && !endRechecked;
    }

    void endRechecked(long currentTableBlocks) {
        endRechecked = true;
        tableBlocks = Math.max(tableBlocks, currentTableBlocks);
    }

    /** Whether there is a second leg: from the first block back to where the lap began. */
    boolean canWrap() {
        return !wrapped && origin.compareTo(Tid.START) > 0;
    }

    void wrap() {
        wrapped = true;
        position = Tid.START;
    }

    /** The end of the next piece of at most {@code blocks} blocks, within the current leg. */
    Tid pieceEnd(long blocks) {
        Tid end = Tid.blockStart(position.block() + blocks);
        return end.compareTo(legEnd()) < 0 ? end : legEnd();
    }

    void advanceTo(Tid next) {
        position = next;
    }

    /** Whether the run has moved the position on (or come round to it again): it made progress. */
    boolean hasMoved() {
        return wrapped || !position.equals(origin);
    }

    /** How much of the lap is walked, in percent of the table. */
    int percentDone() {
        if (tableBlocks == 0) {
            return 100;
        }
        long walked = wrapped ? tableBlocks - origin.block() + position.block() : position.block() - origin.block();
        return (int) Math.max(0, Math.min(100, walked * 100 / tableBlocks));
    }

    /** Where the next run starts: here, or where this lap began once it is complete. */
    Tid resumePosition() {
        return position;
    }
}
