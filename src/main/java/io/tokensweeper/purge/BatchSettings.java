package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.PacingSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * The validated batch settings the engine runs with. {@code pause} is the pause between batches when nothing is
 * wrong, and the least one ever; {@code pacing} says how it grows when the purge hurts the database.
 */
public record BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                            Duration maxRunTime, PacingSettings pacing) {
    public BatchSettings {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + size);
        }
        Objects.requireNonNull(pacing, "pacing");
    }

    /** With the default pacing ({@link PacingSettings#DEFAULT}). */
    public BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                         Duration maxRunTime) {
        this(size, pause, lockTimeout, statementTimeout, maxRunTime, PacingSettings.DEFAULT);
    }

    public BatchSettings withSize(int newSize) {
        return new BatchSettings(newSize, pause, lockTimeout, statementTimeout, maxRunTime, pacing);
    }

    public BatchSettings withPause(Duration newPause) {
        return new BatchSettings(size, newPause, lockTimeout, statementTimeout, maxRunTime, pacing);
    }

    public BatchSettings withMaxRunTime(Duration newMaxRunTime) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, newMaxRunTime, pacing);
    }

    public BatchSettings withLockTimeout(Duration newLockTimeout) {
        return new BatchSettings(size, pause, newLockTimeout, statementTimeout, maxRunTime, pacing);
    }

    public BatchSettings withPacing(PacingSettings newPacing) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, maxRunTime, newPacing);
    }
}
