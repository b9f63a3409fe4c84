package io.tokensweeper.purge;

/** A failure that ends the run: not about particular rows (a lock on the whole table, a changed schema). */
final class RunFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    RunFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
