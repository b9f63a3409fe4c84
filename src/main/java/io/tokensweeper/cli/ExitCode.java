package io.tokensweeper.cli;

/**
 * A command's failure with its own process exit code, for scripts and outside crons: 1 is any failure,
 * 3 a cleanup that went through every table but left doomed rows it could not delete.
 */
public class ExitCode extends RuntimeException {
    public static final int FAILED = 1;
    public static final int ROWS_SKIPPED = 3;
    private static final long serialVersionUID = 1L;

    private final int code;

    public ExitCode(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The exit code for whatever ended a command. */
    public static int of(Throwable failure) {
        return failure instanceof ExitCode exit ? exit.code() : FAILED;
    }
}
