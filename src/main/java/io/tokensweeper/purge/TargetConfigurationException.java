package io.tokensweeper.purge;

/** A configured target that does not match the live database; the message names the config key. */
public class TargetConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TargetConfigurationException(String message) {
        super(message);
    }

    public TargetConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
