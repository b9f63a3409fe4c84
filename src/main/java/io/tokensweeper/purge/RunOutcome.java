package io.tokensweeper.purge;

/** How a run's walk over its table ended. */
enum RunOutcome {
    /** It went through everything it set out to. */
    COMPLETED,
    /** The node is shutting down. */
    STOPPED,
    /** It reached batch.maxRunTime. */
    OUT_OF_TIME
}
