package io.tokensweeper.purge;

import io.tokensweeper.purge.pacing.PacingSettings;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The validated batch settings the engine runs with. {@code method} is how runs find doomed rows: empty for
 * {@code auto} (each run measures and chooses); {@code workers} how many sessions a heap walk deletes with at once.
 * {@code pause} is the pause between batches when nothing is wrong, and the least one ever; {@code pacing} says how
 * it grows when the purge hurts the database.
 */
public record BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                            Duration maxRunTime, Optional<PurgeMethod> method, int workers, PacingSettings pacing) {
    public BatchSettings {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + size);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, was " + workers);
        }
        Objects.requireNonNull(pacing, "pacing");
    }

    /** With the default pacing ({@link PacingSettings#DEFAULT}). */
    public BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                         Duration maxRunTime, Optional<PurgeMethod> method, int workers) {
        this(size, pause, lockTimeout, statementTimeout, maxRunTime, method, workers, PacingSettings.DEFAULT);
    }

    /** Method auto, one worker, the default pacing. */
    public BatchSettings(int size, Duration pause, Duration lockTimeout, Duration statementTimeout,
                         Duration maxRunTime) {
        this(size, pause, lockTimeout, statementTimeout, maxRunTime, Optional.empty(), 1);
    }

    public BatchSettings withMethod(Optional<PurgeMethod> newMethod) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, maxRunTime, newMethod, workers, pacing);
    }

    public BatchSettings withWorkers(int newWorkers) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, maxRunTime, method, newWorkers, pacing);
    }

    public BatchSettings withSize(int newSize) {
        return new BatchSettings(newSize, pause, lockTimeout, statementTimeout, maxRunTime, method, workers, pacing);
    }

    public BatchSettings withPause(Duration newPause) {
        return new BatchSettings(size, newPause, lockTimeout, statementTimeout, maxRunTime, method, workers, pacing);
    }

    public BatchSettings withMaxRunTime(Duration newMaxRunTime) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, newMaxRunTime, method, workers, pacing);
    }

    public BatchSettings withLockTimeout(Duration newLockTimeout) {
        return new BatchSettings(size, pause, newLockTimeout, statementTimeout, maxRunTime, method, workers, pacing);
    }

    public BatchSettings withPacing(PacingSettings newPacing) {
        return new BatchSettings(size, pause, lockTimeout, statementTimeout, maxRunTime, method, workers, newPacing);
    }
}
