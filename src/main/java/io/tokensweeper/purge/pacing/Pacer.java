package io.tokensweeper.purge.pacing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides how long a run waits between two batches, from the signs that the purge is hurting the database,
 * and waits that long. One per run session; not thread-safe.
 *
 * <p>The signs: (a) the batch's own latency per deleted row, smoothed, at least {@code latencyFactor} times the
 * baseline learned from the run's first batches of the same density (rows per heap block); (b) sessions waiting
 * on locks the batch holds ({@code pg_blocking_pids}); (c) a physical standby's lag ({@code pg_stat_replication},
 * the largest of write, flush and replay lag) over {@code maxReplicationLag}; (d) a requested checkpoint (the
 * server's counter, {@code pg_stat_checkpointer} from PostgreSQL 17, {@code pg_stat_bgwriter} before) in the
 * last 30 s, which the purge's WAL may have forced.
 *
 * <p>The control law: the pause is {@code batch.pause} plus an extra pause. After a batch that shows any sign,
 * the extra pause becomes twice what it was, at least the batch's own duration (so the purge works at most half
 * the time) and at least 10 ms, and at most {@code maxPause} in all; after a batch that shows none it shrinks to
 * three quarters, and below 10 ms it is gone. While a standby lags past the limit the run also waits, probing
 * every {@code probeInterval}, until the standby is back under it, for at most {@code maxWait}; then it goes on
 * at the grown pause and waits again only once a reading has shown the standby under the limit. Lock waiters
 * are not waited out: they are released by the batch's commit; they make the next pauses longer.
 *
 * <p>The WAL budget ({@code maxWalPerSecond}), apart from the signs: the server's WAL insert position is read before
 * the first batch, after each batch and after each pause; the pause after a batch is at least long enough for the
 * run's WAL since the last pause, over the time since then and the pause, to average the budget. What other
 * sessions write (the rate read during the last pause) is taken off ({@link WalBudget}); a pause longer than
 * maxPause is taken in steps of maxPause, each reading that rate again. A parallel worker keeps to its share of
 * the budget, the other workers' WAL being the others' to it.
 *
 * <p>Probes: lock waiters can only be seen while the batch still holds its locks, so {@link #beforeCommit}
 * reads them inside the batch's own transaction, just before its commit, which ends that read too. Lag and
 * checkpoints are read between batches on the run's session (in autocommit-off mode), and that transaction is
 * rolled back at once, so no snapshot is held while the run pauses. Each probe runs at most every
 * {@code probeInterval}; a probe that fails is logged once and not tried again in the run (the one inside a
 * batch runs in a savepoint, so that its failure does not fail the batch).
 */
public final class Pacer {
    /** Sleeps, and wakes early when the node is asked to stop. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Pacer.class);

    private final PacingSettings settings;
    private final Duration minimumPause;
    private final PacingControl control;
    private final String run;
    private final Sleeper sleeper;
    private final BooleanSupplier mustStop;
    private final Consumer<Duration> pausedSink;
    private final LongSupplier nanoTime;
    private final long probeNanos;

    private long nextLockProbe;
    private long nextDatabaseProbe;
    private int lockWaiters = -1;
    private boolean databaseProbeFailed;
    private boolean lockProbeFailed;
    private boolean lagHiddenLogged;
    /** The WAL budget's accounting; null without a budget. */
    private final WalBudget walBudget;
    private boolean walProbeFailed;
    private boolean walBudgetLogged;
    private long slowedAt;
    private long pausedAtSlowdown;
    private long pausedNanos;

    /**
     * @param minimumPause batch.pause: the pause between batches when nothing is wrong
     * @param run          how log lines name the run, e.g. "Purge refresh-tokens run 17"
     * @param mustStop     the run must end (a stop, its maximum run time): pauses and waits end early
     * @param pausedSink   told of every pause, as it ends
     */
    public Pacer(PacingSettings settings, Duration minimumPause, int batchSize, String run, Sleeper sleeper,
                 BooleanSupplier mustStop, Consumer<Duration> pausedSink) {
        this(settings, minimumPause, batchSize, run, sleeper, mustStop, pausedSink, System::nanoTime);
    }

    Pacer(PacingSettings settings, Duration minimumPause, int batchSize, String run, Sleeper sleeper,
          BooleanSupplier mustStop, Consumer<Duration> pausedSink, LongSupplier nanoTime) {
        this.settings = settings;
        this.minimumPause = minimumPause;
        this.control = new PacingControl(settings, minimumPause, batchSize);
        this.run = run;
        this.sleeper = sleeper;
        this.mustStop = mustStop;
        this.pausedSink = pausedSink;
        this.nanoTime = nanoTime;
        this.probeNanos = settings.probeInterval().toNanos();
        this.walBudget = settings.limitsWal() ? new WalBudget(settings.maxWalPerSecond()) : null;
        long now = nanoTime.getAsLong();
        this.nextLockProbe = now;
        this.nextDatabaseProbe = now;
    }

    /**
     * Before the run's first batch on this session: where the WAL is, for the WAL budget (nothing without one).
     * Later windows begin where the pause after a batch ended ({@link #afterBatch}).
     */
    public void beforeFirstBatch(Connection connection) throws SQLException {
        if (walBudget != null && !walBudget.begun()) {
            long lsn = readWalPosition(connection);
            if (lsn >= 0) {
                walBudget.begin(lsn, nanoTime.getAsLong());
            }
        }
    }

    /**
     * Inside a batch's transaction, after its DELETE and before its commit: how many sessions wait for the
     * locks it holds (at most every probeInterval). In a savepoint: a probe that fails (pg_locks not readable by
     * the database user, a statement timeout) is given up for the run, and the batch goes on to its commit.
     */
    public void beforeCommit(Connection connection) throws SQLException {
        lockWaiters = -1;
        if (!settings.enabled() || lockProbeFailed) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (now - nextLockProbe < 0) {
            return;
        }
        nextLockProbe = now + probeNanos;
        Savepoint probe = connection.setSavepoint();
        try {
            lockWaiters = DatabaseProbes.lockWaiters(connection);
            connection.releaseSavepoint(probe);
        } catch (SQLException e) {
            connection.rollback(probe);
            lockProbeFailed = true;
            LOG.warn("{}: pacing could not read the sessions waiting on its locks ({}); for the rest of the run it"
                    + " does not watch them", run, e.getMessage());
        }
    }

    /**
     * After a batch that took {@code took} to delete {@code rows} rows over {@code blocks} heap blocks (0 if not
     * known, as in an index walk): decides the pause and waits it out (and for lagging standbys). {@code rows} 0:
     * nothing to time (a batch that went row by row); the other signs still count. Returns early when the run must
     * stop.
     */
    public void afterBatch(Connection connection, Duration took, long rows, long blocks)
            throws SQLException, InterruptedException {
        if (!settings.enabled()) {
            pause(minimumPause.toNanos());
            return;
        }
        int waiters = lockWaiters;
        lockWaiters = -1;
        long walPause = walBudgetPause(connection);
        DatabaseProbes.Readings readings = readDatabase(connection, false);
        PacingControl.Health health = new PacingControl.Health(waiters, readings == null ? null : readings.lag(),
                readings == null ? -1 : readings.checkpointsRequested());
        long now = nanoTime.getAsLong();
        PacingControl.Decision decision = control.afterBatch(took.toNanos(), rows, blocks, health, now);
        if (decision.change() == PacingControl.Change.SLOWED) {
            slowedAt = now;
            pausedAtSlowdown = pausedNanos;
            LOG.info("{} slows down: {}; pausing {} between batches, up to {}", run, String.join("; ", decision.signs()),
                    Durations.text(decision.pause()), Durations.text(settings.maxPause()));
        } else if (decision.change() == PacingControl.Change.RECOVERED) {
            LOG.info("{} is back to its normal pace: the signs passed ({}) after {}, {} of it paused", run,
                    String.join(", ", control.takeEpisodeSigns()), Durations.text(Duration.ofNanos(now - slowedAt)),
                    Durations.text(Duration.ofNanos(pausedNanos - pausedAtSlowdown)));
        }
        if (decision.waitForReplicas()) {
            waitForReplicas(connection);
        }
        long step = Math.max(settings.maxPause().toNanos(), WalBudget.MIN_SAMPLE_NANOS);
        pause(Math.max(decision.pause().toNanos(), Math.min(walPause, step)));
        finishWalBudgetPause(connection, step);
    }

    /**
     * The rest of the WAL budget's pause, in steps of at most maxPause, each re-reading the WAL position, so that
     * what another session began to write during the batch stops counting as the run's once a step shows it; then
     * the budget's next window begins.
     */
    private void finishWalBudgetPause(Connection connection, long step) throws SQLException, InterruptedException {
        if (walBudget == null || !walBudget.begun()) {
            return;
        }
        while (true) {
            long lsn = readWalPosition(connection);
            if (lsn < 0) {
                return;
            }
            long now = nanoTime.getAsLong();
            long left = mustStop.getAsBoolean() ? 0 : walBudget.pauseLeft(lsn, now);
            if (left <= 0) {
                walBudget.pauseEnded(lsn, now);
                return;
            }
            pause(Math.min(left, step));
        }
    }

    /**
     * After a batch: how long to pause for the run's WAL since the last pause, over the time since then, to average
     * the budget; 0 when it does already, or there is no budget (or no reading).
     */
    private long walBudgetPause(Connection connection) throws SQLException {
        if (walBudget == null || !walBudget.begun() || walProbeFailed) {
            return 0;
        }
        long lsn = readWalPosition(connection);
        if (lsn < 0) {
            return 0;
        }
        long now = nanoTime.getAsLong();
        long own = walBudget.ownBytes(lsn, now);
        long pause = walBudget.pauseAfter(lsn, now);
        if (pause > 0 && !walBudgetLogged) {
            walBudgetLogged = true;
            LOG.info("{} keeps to {} of WAL a second (cleanup.pacing.maxWalPerSecond): it wrote {} since its last"
                            + " pause; pausing {}, and so after each batch as needed", run,
                    PacingSettings.sizeText(settings.maxWalPerSecond()), PacingSettings.sizeText(own),
                    Durations.text(Duration.ofNanos(pause)));
        }
        return pause;
    }

    /**
     * The server's WAL insert position, in bytes; -1 once a read failed (the budget is then given up for the run,
     * with one WARN). Between batches: the transaction the read began is rolled back.
     */
    private long readWalPosition(Connection connection) throws SQLException {
        if (walProbeFailed) {
            return -1;
        }
        try {
            return DatabaseProbes.walPosition(connection);
        } catch (SQLException e) {
            walProbeFailed = true;
            LOG.warn("{}: pacing could not read the WAL position ({}); for the rest of the run its batches do not"
                    + " keep to cleanup.pacing.maxWalPerSecond", run, e.getMessage());
            return -1;
        } finally {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        }
    }

    /** All the time this run spent pausing between batches so far, batch.pause included. */
    public Duration paused() {
        return Duration.ofNanos(pausedNanos);
    }

    private void waitForReplicas(Connection connection) throws SQLException, InterruptedException {
        long began = nanoTime.getAsLong();
        while (!mustStop.getAsBoolean()) {
            pause(probeNanos);
            DatabaseProbes.Readings readings = readDatabase(connection, true);
            Duration waited = Duration.ofNanos(nanoTime.getAsLong() - began);
            PacingControl.Wait wait = control.whileWaiting(readings == null ? null : readings.lag(), waited);
            if (wait == PacingControl.Wait.GAVE_UP) {
                LOG.warn("{}: a standby is still {} behind after waiting {} for it; going on, slowed down, and waiting"
                                + " again only once it has caught up", run, Durations.text(control.lastReplicationLag()),
                        Durations.text(waited));
                return;
            }
            if (wait == PacingControl.Wait.CAUGHT_UP) {
                return;
            }
        }
    }

    /** Lag and checkpoints, when due (or {@code now}); null when not read. Ends the transaction the read began. */
    private DatabaseProbes.Readings readDatabase(Connection connection, boolean now) throws SQLException {
        if (databaseProbeFailed || !(settings.watchesReplication() || settings.checkpoints())) {
            return null;
        }
        long at = nanoTime.getAsLong();
        if (!now && at - nextDatabaseProbe < 0) {
            return null;
        }
        nextDatabaseProbe = at + probeNanos;
        DatabaseProbes.Readings readings;
        try {
            readings = DatabaseProbes.read(connection, settings.watchesReplication(), settings.checkpoints());
        } catch (SQLException e) {
            databaseProbeFailed = true;
            control.forgetLag();
            LOG.warn("{}: pacing could not read replication lag and checkpoints ({}); for the rest of the run it"
                    + " watches only its batches' latency and lock waiters", run, e.getMessage());
            return null;
        } finally {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        }
        if (readings.lagHidden() && settings.watchesReplication() && !lagHiddenLogged) {
            lagHiddenLogged = true;
            LOG.info("{}: {} standby(s) stream from this server, but their lag is hidden from this database role;"
                    + " grant it pg_read_all_stats for pacing to watch replication lag", run, readings.standbys());
        }
        return readings;
    }

    /** Sleeps in slices of at most probeInterval, so that a run out of time does not sit out a long pause. */
    private void pause(long nanos) throws InterruptedException {
        if (nanos <= 0) {
            return;
        }
        long began = nanoTime.getAsLong();
        long end = began + nanos;
        try {
            while (!mustStop.getAsBoolean()) {
                long left = end - nanoTime.getAsLong();
                if (left <= 0) {
                    break;
                }
                sleeper.sleep(Duration.ofNanos(Math.min(left, probeNanos)));
            }
        } finally {
            long slept = Math.max(0, nanoTime.getAsLong() - began);
            pausedNanos += slept;
            pausedSink.accept(Duration.ofNanos(slept));
        }
    }
}
