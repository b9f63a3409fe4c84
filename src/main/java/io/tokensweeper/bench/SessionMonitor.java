package io.tokensweeper.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Watches pg_stat_activity every 20 ms: the longest transaction a purge session has held so far, and
 * the longest a live-workload statement has waited on a lock.
 */
final class SessionMonitor implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile double longestPurgeTransactionMs;
    private volatile double longestLockWaitMs;

    SessionMonitor(String url, Properties credentials) {
        thread = new Thread(() -> watch(url, credentials), "bench-monitor");
        thread.start();
    }

    private void watch(String url, Properties credentials) {
        Properties properties = new Properties();
        properties.putAll(credentials);
        properties.setProperty("ApplicationName", "bench-monitor");
        try (Connection connection = DriverManager.getConnection(url, properties);
             Statement statement = connection.createStatement()) {
            while (running.get()) {
                try (ResultSet rs = statement.executeQuery("SELECT"
                        + " coalesce(max(extract(epoch FROM clock_timestamp() - xact_start) * 1000)"
                        + "   FILTER (WHERE application_name LIKE 'token-sweeper-%' OR application_name = 'bench-purge'), 0),"
                        + " coalesce(max(extract(epoch FROM clock_timestamp() - query_start) * 1000)"
                        + "   FILTER (WHERE application_name = 'bench-workload' AND wait_event_type = 'Lock'), 0)"
                        + " FROM pg_stat_activity WHERE state <> 'idle'")) {
                    rs.next();
                    longestPurgeTransactionMs = Math.max(longestPurgeTransactionMs, rs.getDouble(1));
                    longestLockWaitMs = Math.max(longestLockWaitMs, rs.getDouble(2));
                }
                Thread.sleep(20);
            }
        } catch (SQLException | InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    double longestPurgeTransactionMs() {
        return longestPurgeTransactionMs;
    }

    double longestLockWaitMs() {
        return longestLockWaitMs;
    }

    @Override
    public void close() {
        running.set(false);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
