package io.tokensweeper.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A token-sweeper node as a real process: {@code java -jar target/token-sweeper.jar server config.yml},
 * configured through the environment variables of config.yml and Dropwizard's {@code -Ddw.} overrides.
 * It can be stopped politely (SIGTERM), killed (SIGKILL), frozen (SIGSTOP) and thawed (SIGCONT).
 */
public final class NodeProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public final String id;
    public final int appPort;
    public final int adminPort;
    public final Path log;
    private final Process process;

    private NodeProcess(String id, int appPort, int adminPort, Path log, Process process) {
        this.id = id;
        this.appPort = appPort;
        this.adminPort = adminPort;
        this.log = log;
        this.process = process;
    }

    public static NodeProcess start(String id, TestDatabase db, Map<String, String> overrides, Path logDirectory)
            throws IOException {
        return start(id, db, Map.of(), overrides, logDirectory);
    }

    /** {@code environment} adds to or replaces the variables derived from {@code db} (DATABASE_USER, ...). */
    public static NodeProcess start(String id, TestDatabase db, Map<String, String> environment,
                                    Map<String, String> overrides, Path logDirectory) throws IOException {
        String jar = System.getProperty("sweeper.jar", "target/token-sweeper.jar");
        int appPort = freePort();
        int adminPort = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Duser.timezone=Asia/Kolkata"));
        overrides.forEach((key, value) -> command.add("-Ddw." + key + "=" + value));
        command.addAll(List.of("-jar", jar, "server", "config.yml"));
        Path log = logDirectory.resolve(id + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("DATABASE_URL", db.url());
        env.put("DATABASE_USER", db.user());
        env.put("DATABASE_PASSWORD", db.password());
        env.put("SWEEPER_NODE_ID", id);
        env.put("SWEEPER_ENV", "production");
        env.put("APP_PORT", Integer.toString(appPort));
        env.put("ADMIN_PORT", Integer.toString(adminPort));
        env.putAll(environment);
        return new NodeProcess(id, appPort, adminPort, log, builder.start());
    }

    /** Waits until the node answers /ping, the one admin path open without credentials. */
    public NodeProcess awaitUp(Duration timeout) {
        return awaitNode("up", timeout, () -> get("http://127.0.0.1:" + adminPort + "/ping").statusCode() == 200
                && get("http://127.0.0.1:" + appPort + "/jobs").statusCode() == 200);
    }

    /** Waits for the condition; fails at once, with the log's tail, if the process ends meanwhile. */
    private NodeProcess awaitNode(String state, Duration timeout, Callable<Boolean> condition) {
        try {
            await("node " + id + " " + state).atMost(timeout).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptionsInstanceOf(IOException.class) // not listening yet
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("node " + id + " exited with " + process.exitValue()
                                    + ":\n" + tail());
                        }
                        return condition.call();
                    });
            return this;
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("node " + id + " not " + state + " within " + timeout + ":\n" + tail(), e);
        }
    }

    /** Waits for the process to end by itself and returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("node " + id + " still running after " + timeout + ":\n" + tail());
        }
        return process.exitValue();
    }

    public HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public String adminUrl(String path) {
        return "http://127.0.0.1:" + adminPort + path;
    }

    public NodeProcess awaitHealthy(Duration timeout) {
        return awaitNode("healthy", timeout,
                () -> get("http://127.0.0.1:" + adminPort + "/healthcheck").statusCode() == 200);
    }

    public HttpResponse<String> post(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** As a crash would: no shutdown hook, no batch boundary, no goodbye to the database. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    public void freeze() throws Exception {
        signal("STOP");
    }

    public void thaw() throws Exception {
        signal("CONT");
    }

    /** SIGTERM: Dropwizard's graceful shutdown. */
    public int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /** The node's whole log so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
