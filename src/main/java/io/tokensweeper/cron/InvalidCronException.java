package io.tokensweeper.cron;

/** A cron expression we cannot schedule; the message says which field and why. */
public class InvalidCronException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidCronException(String message) {
        super(message);
    }
}
