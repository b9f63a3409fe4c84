package io.tokensweeper.purge;

/**
 * When a statement may delete a heap range's doomed rows in one plain TID range scan, without first finding where
 * the row limit falls. Such a statement deletes them all and the deleter rolls it back when it deleted more than
 * the limit, so no committed statement ever exceeds it; this bound keeps that rare and cheap: the range holds at most
 * {@link #OVERSHOOT} times the limit in rows of any kind, judged by the table's densest measured blocks, so a
 * statement rolled back for overshooting is short. Such statements are clipped to it. The checked form (a first
 * scan that stops at the limit, then the DELETE) follows an overshoot, and does every range of a table whose DELETE
 * may keep rows without an error (BEFORE triggers, rules): only that form can see them.
 */
record OptimisticBound(long maxBlocks) {
    /** PostgreSQL's MaxHeapTuplesPerPage at 8 kB blocks: no block holds more rows, whatever they are. */
    static final double MAX_TUPLES_PER_BLOCK = 291;
    static final int OVERSHOOT = 4;

    /**
     * @param limit          the row limit of one statement
     * @param tuplesPerBlock the most rows per block measured in this table (its statistics, a sample); 0 when
     *                       nothing was measured, which assumes the densest possible blocks
     */
    static OptimisticBound of(int limit, double tuplesPerBlock) {
        double density = tuplesPerBlock > 0 ? Math.min(tuplesPerBlock, MAX_TUPLES_PER_BLOCK) : MAX_TUPLES_PER_BLOCK;
        return new OptimisticBound(Math.max(1, (long) Math.floor(OVERSHOOT * (double) limit / density)));
    }
}
