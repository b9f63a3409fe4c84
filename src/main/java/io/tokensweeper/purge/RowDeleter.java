package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Deletes doomed rows one at a time, each in its own transaction with the run's progress: the rows a batch
 * statement could not delete. A row locked by another session is tried again; a row that still cannot go is
 * skipped with its reason and reported. Also says which failures of a batch statement are about rows (worth
 * splitting) and which end the run.
 */
final class RowDeleter {
    /** How often a single row that waits on a lock (or a deadlock) is tried before it is skipped. */
    static final int ROW_ATTEMPTS = 3;
    static final String KEPT_SILENTLY = "not deleted and no error: a BEFORE DELETE trigger returned NULL, or a rule"
            + " replaced the DELETE";

    private final Connection connection;
    private final PurgeTarget target;
    private final long tableOid;
    private final PurgeStatements statements;
    private final RunProgress progress;
    private final BatchSettings batch;
    private final StopSignal stopSignal;
    /** A stop was requested, or the run is out of time (once it has moved on): return between rows. */
    private final BooleanSupplier mustStop;
    private final TableGuard guard;

    RowDeleter(Connection connection, PurgeTarget target, long tableOid, PurgeStatements statements,
               RunProgress progress, BatchSettings batch, StopSignal stopSignal, BooleanSupplier mustStop) {
        this.connection = connection;
        this.target = target;
        this.tableOid = tableOid;
        this.statements = statements;
        this.progress = progress;
        this.batch = batch;
        this.stopSignal = stopSignal;
        this.mustStop = mustStop;
        this.guard = new TableGuard(target, tableOid);
    }

    /** Comes back once to the rows skipped so far in this run. */
    void retrySkipped() throws SQLException, RunFailedException, InterruptedException {
        for (Tid tid : progress.skipped().retained()) {
            if (mustStop.getAsBoolean()) {
                return;
            }
            Optional<PurgeStatements.Row> row = statements.stillDoomed(connection, tid);
            connection.commit();
            if (row.isEmpty()) {
                progress.commit(connection, () -> progress.skipped().forget(tid));
            } else {
                deleteRow(row.get(), 1, null);
            }
        }
    }

    /**
     * Tries one row up to {@code attempts} times (a lock or a deadlock may pass); skips it with its reason
     * otherwise. {@code next} is where the lap continues after it, or null to leave the position alone.
     */
    void deleteRow(PurgeStatements.Row row, int attempts, Tid next)
            throws SQLException, RunFailedException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                progress.commit(connection, () -> {
                    int deleted = statements.deleteRow(connection, row.tid());
                    guard.check(connection);
                    if (deleted == 0 && statements.stillDoomed(connection, row.tid()).isPresent()) {
                        skip(row, KEPT_SILENTLY);
                    } else {
                        progress.skipped().forget(row.tid());
                    }
                    progress.deleted(deleted);
                    if (next != null) {
                        progress.lap().advanceTo(next);
                    }
                });
                return;
            } catch (SQLException e) {
                DeleteFailure failure = failure(e);
                if (failure.kind() == DeleteFailure.Kind.TRANSIENT && attempt < attempts) {
                    stopSignal.pause(batch.lockTimeout());
                    continue;
                }
                String reason = failure.kind() == DeleteFailure.Kind.TRANSIENT && "55P03".equals(e.getSQLState())
                        ? "locked by " + TableFacts.rowLockHolder(connection, target.qualifiedTable(), row.tid())
                        + " past lock_timeout " + batch.lockTimeout().toMillis() + " ms"
                        : failure.reason();
                connection.commit();
                progress.commit(connection, () -> {
                    skip(row, reason);
                    if (next != null) {
                        progress.lap().advanceTo(next);
                    }
                });
                return;
            }
        }
    }

    void skip(PurgeStatements.Row row, String reason) {
        progress.skipped().forget(row.tid());
        progress.skipped().add(row.tid(), reason, row.key());
    }

    /**
     * Classifies a failed statement; a lock wait on the whole table (an ALTER, a CREATE INDEX, a LOCK
     * TABLE) is no row's fault, and ends the run rather than being split into rows that all wait.
     */
    DeleteFailure failure(SQLException e) throws SQLException, RunFailedException {
        DeleteFailure failure = DeleteFailure.classify(e);
        if (!failure.splittable()) {
            throw new RunFailedException(failure.reason(), e);
        }
        if ("55P03".equals(e.getSQLState())) {
            Optional<String> tableLock = TableFacts.tableLockHolder(connection, tableOid);
            connection.commit();
            if (tableLock.isPresent()) {
                throw new RunFailedException("the table " + target.displayName() + " is locked: " + tableLock.get()
                        + "; lock_timeout " + batch.lockTimeout().toMillis()
                        + " ms passed. The next run tries again", e);
            }
        }
        return failure;
    }
}
