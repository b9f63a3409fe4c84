package io.tokensweeper.purge;

import java.time.Duration;
import java.util.Optional;

/**
 * The validated batch settings the engine runs with. {@code method} is how runs find doomed rows: empty for
 * {@code auto} (each run measures and chooses).
 */
public record BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                            Duration maxRunTime, Optional<PurgeMethod> method) {
    public BatchSettings {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + size);
        }
    }

    public BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                         Duration maxRunTime) {
        this(size, pause, lockTimeout, statementTimeout, maxRunTime, Optional.empty());
    }

    public BatchSettings withMethod(Optional<PurgeMethod> newMethod) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, maxRunTime, newMethod);
    }

    public BatchSettings withSize(int newSize) {
        return new BatchSettings(newSize, pause, lockTimeout, statementTimeout, maxRunTime, method);
    }

    public BatchSettings withPause(Duration newPause) {
        return new BatchSettings(size, newPause, lockTimeout, statementTimeout, maxRunTime, method);
    }

    public BatchSettings withMaxRunTime(Duration newMaxRunTime) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, newMaxRunTime, method);
    }

    public BatchSettings withLockTimeout(Duration newLockTimeout) {
        return new BatchSettings(size, pause, newLockTimeout, statementTimeout, maxRunTime, method);
    }
}
