package io.tokensweeper.purge;

/**
 * How many heap blocks the next statement covers. Pure arithmetic: the engine measures, this decides.
 * The size only steers the speed; what bounds a statement is its row limit ({@link RangeDelete}), so a
 * wrong estimate (a sparse front, a dense back) costs one more statement, never a huge transaction.
 */
final class BatchSizer {
    /** 128 MiB of heap at the default block size: a statement never scans more than this. */
    static final long MAX_BLOCKS = 16_384;

    private final int targetRows;
    private long blocks;

    BatchSizer(int targetRows, double doomedRowsPerBlock) {
        if (targetRows < 1) {
            throw new IllegalArgumentException("targetRows must be at least 1, was " + targetRows);
        }
        this.targetRows = targetRows;
        double density = doomedRowsPerBlock > 0 ? doomedRowsPerBlock : 1;
        this.blocks = clamp((long) Math.ceil(targetRows / density));
    }

    long blocks() {
        return blocks;
    }

    /**
     * After a statement over {@code coveredBlocks} blocks that found {@code picked} doomed rows: when it
     * hit the row limit, the blocks it actually got through are the new size; otherwise the size moves
     * towards the target, at most doubling or halving at a time.
     */
    void measured(long coveredBlocks, long picked, boolean hitLimit) {
        if (hitLimit) {
            blocks = clamp(coveredBlocks);
            return;
        }
        double scale = picked == 0 ? 2.0 : Math.max(0.5, Math.min(2.0, (double) targetRows / picked));
        blocks = clamp((long) Math.ceil(blocks * scale));
    }

    /** After a statement that failed for its size (statement_timeout): half as many blocks. */
    void tooLarge() {
        blocks = clamp(blocks / 2);
    }

    private static long clamp(long value) {
        return Math.max(1, Math.min(MAX_BLOCKS, value));
    }
}
