package io.tokensweeper.bench;

import io.tokensweeper.db.Jdbc;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler's own cost: two real nodes (this jar, {@code server}) on one database, idle. Measures the
 * time from process start to a healthy /healthcheck, the transactions per minute the idle pair issues,
 * and each node's resident memory.
 */
final class ClusterCost {
    private static final Duration IDLE = Duration.ofSeconds(60);

    private ClusterCost() {
    }

    static String measure(Path jar, Path config, BenchDatabase db, String database) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<Process> nodes = new ArrayList<>();
        List<Long> startMillis = new ArrayList<>();
        try (Connection admin = db.connect(database)) {
            for (int i = 1; i <= 2; i++) {
                int adminPort = freePort();
                long started = System.nanoTime();
                ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-jar", jar.toString(), "server", config.toString())
                        .redirectErrorStream(true).redirectOutput(Files.createTempFile("bench-node", ".log").toFile());
                builder.environment().put("DATABASE_URL", db.urlOf(database));
                builder.environment().put("DATABASE_USER", db.credentials().getProperty("user"));
                builder.environment().put("DATABASE_PASSWORD", db.credentials().getProperty("password", ""));
                builder.environment().put("SWEEPER_NODE_ID", "bench-" + i);
                builder.environment().put("SWEEPER_ENV", "production");
                builder.environment().put("APP_PORT", Integer.toString(freePort()));
                builder.environment().put("ADMIN_PORT", Integer.toString(adminPort));
                builder.environment().remove("ADMIN_PASSWORD");
                Process node = builder.start();
                nodes.add(node);
                awaitHealthy(http, adminPort, node);
                startMillis.add((System.nanoTime() - started) / 1_000_000);
            }
            Thread.sleep(10_000);
            long before = transactions(admin, database);
            Thread.sleep(IDLE.toMillis());
            long after = transactions(admin, database);
            // Our own two counting queries are transactions too.
            double perMinute = (after - before - 1) * 60.0 / IDLE.toSeconds();
            long rss1 = residentKib(nodes.get(0));
            long rss2 = residentKib(nodes.get(1));
            return String.format(Locale.ROOT, """
                    ## The scheduler's own cost (idle HA pair, two `java -jar` node processes, one database)

                    | measure | value |
                    |---|---:|
                    | start to healthy, first node (JVM start, migrations, catalog checks, cluster join) | %d ms |
                    | start to healthy, second node | %d ms |
                    | database transactions per minute, idle pair (Quartz check-ins and trigger polls) | %.0f |
                    | resident memory, node 1 / node 2 | %d / %d MiB |
                    """, startMillis.get(0), startMillis.get(1), perMinute, rss1 / 1024, rss2 / 1024);
        } finally {
            for (Process node : nodes) {
                node.destroy();
                if (!node.waitFor(30, TimeUnit.SECONDS)) {
                    node.destroyForcibly();
                }
            }
        }
    }

    private static long transactions(Connection connection, String database) throws SQLException {
        return Jdbc.oneLong(connection, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = ?",
                database);
    }

    private static long residentKib(Process process) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static void awaitHealthy(HttpClient http, int adminPort, Process node) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!node.isAlive()) {
                throw new IllegalStateException("a benchmark node exited with " + node.exitValue());
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + adminPort + "/healthcheck")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("a benchmark node did not become healthy within 120 s");
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
