package io.tokensweeper.purge;

import java.time.Duration;

/** The validated batch settings the engine runs with. */
public record BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                            Duration maxRunTime) {
    public BatchSettings {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + size);
        }
    }

    public BatchSettings withSize(int newSize) {
        return new BatchSettings(newSize, pause, lockTimeout, statementTimeout, maxRunTime);
    }

    public BatchSettings withPause(Duration newPause) {
        return new BatchSettings(size, newPause, lockTimeout, statementTimeout, maxRunTime);
    }

    public BatchSettings withMaxRunTime(Duration newMaxRunTime) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, newMaxRunTime);
    }

    public BatchSettings withLockTimeout(Duration newLockTimeout) {
        return new BatchSettings(size, pause, newLockTimeout, statementTimeout, maxRunTime);
    }
}
