package io.tokensweeper.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The auth service, as the database sees it: at a fixed rate, on connections of its own, it issues new
 * refresh tokens, revokes random live ones, and reads tokens by hash. Records every statement's latency.
 * On request each connection flushes its table statistics (PostgreSQL 15+), so that the benchmark can
 * tell the workload's page accesses from the purge's.
 */
final class LiveWorkload implements AutoCloseable {
    record Sample(long atMillis, long latencyMicros, String operation) {
    }

    private static final int THREADS = 4;

    private final String url;
    private final Properties credentials;
    private final int ratePerSecond;
    private final long maxLiveId;
    private final AtomicBoolean running = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final boolean flushableStats;
    private final AtomicLong flushRequests = new AtomicLong();
    private volatile CountDownLatch flushesDone = new CountDownLatch(0);
    private volatile long startedNanos;
    private volatile int errors;

    LiveWorkload(String url, Properties credentials, int ratePerSecond, long maxLiveId, boolean flushableStats) {
        this.url = url;
        this.credentials = credentials;
        this.ratePerSecond = ratePerSecond;
        this.maxLiveId = maxLiveId;
        this.flushableStats = flushableStats;
    }

    void start() {
        running.set(true);
        startedNanos = System.nanoTime();
        long intervalNanos = 1_000_000_000L * THREADS / ratePerSecond;
        for (int i = 0; i < THREADS; i++) {
            Thread thread = new Thread(() -> loop(intervalNanos), "bench-workload-" + i);
            thread.start();
            threads.add(thread);
        }
    }

    private void loop(long intervalNanos) {
        Properties properties = new Properties();
        properties.putAll(credentials);
        properties.setProperty("ApplicationName", "bench-workload");
        try (Connection connection = DriverManager.getConnection(url, properties);
             PreparedStatement insert = connection.prepareStatement("INSERT INTO public.refresh_tokens"
                     + " (user_id, token_hash, expires_at) VALUES (gen_random_uuid(), md5(random()::text || clock_timestamp()),"
                     + " now() + interval '30 days')");
             PreparedStatement revoke = connection.prepareStatement(
                     "UPDATE public.refresh_tokens SET revoked = true WHERE id = ?");
             PreparedStatement read = connection.prepareStatement(
                     "SELECT id, expires_at, revoked FROM public.refresh_tokens WHERE token_hash = ?");
             PreparedStatement flush = connection.prepareStatement(flushableStats
                     ? "SELECT pg_stat_force_next_flush()" : "SELECT 1")) {
            long next = System.nanoTime();
            long flushesSeen = 0;
            while (running.get()) {
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (flushRequests.get() != flushesSeen) {
                    // Read the latch after the count: flushStats() sets the latch before it counts the request.
                    flushesSeen = flushRequests.get();
                    CountDownLatch done = flushesDone;
                    flush.execute();
                    done.countDown();
                }
                ThreadLocalRandom random = ThreadLocalRandom.current();
                int choice = random.nextInt(10);
                long begin = System.nanoTime();
                String operation;
                if (choice < 4) {
                    insert.executeUpdate();
                    operation = "insert";
                } else if (choice < 7) {
                    revoke.setLong(1, 1 + random.nextLong(maxLiveId));
                    revoke.executeUpdate();
                    operation = "revoke";
                } else {
                    read.setString(1, "t" + (1 + random.nextLong(maxLiveId)));
                    try (ResultSet rs = read.executeQuery()) {
                        rs.next();
                    }
                    operation = "read";
                }
                long end = System.nanoTime();
                samples.add(new Sample((begin - startedNanos) / 1_000_000, (end - begin) / 1_000, operation));
            }
        } catch (SQLException e) {
            errors++;
        } finally {
            // A connection that is gone has nothing left to flush: do not keep flushStats() waiting for it.
            flushesDone.countDown();
        }
    }

    /** Milliseconds since start(), on the clock of the samples' {@code atMillis}. */
    long elapsedMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /**
     * Makes every connection flush its pending statistics before its next statement and waits until they
     * have (at most 10 s: a connection stuck behind a lock flushes later). Returns the moment of the
     * request, in {@link #elapsedMillis()}: the statements that began before it are in the flushed counts,
     * those that began after it are not.
     */
    long flushStats() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(THREADS);
        flushesDone = done;
        long requestedAt = elapsedMillis();
        flushRequests.incrementAndGet();
        done.await(10, TimeUnit.SECONDS);
        return requestedAt;
    }

    /** How many of these statements began in [fromMillis, toMillis). */
    static long statementsBetween(List<Sample> samples, long fromMillis, long toMillis) {
        return samples.stream().filter(s -> s.atMillis() >= fromMillis && s.atMillis() < toMillis).count();
    }

    List<Sample> stop() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        return new ArrayList<>(samples);
    }

    int errors() {
        return errors;
    }

    @Override
    public void close() {
        if (running.get()) {
            try {
                stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
