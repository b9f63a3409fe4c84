package io.tokensweeper.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** A PostgreSQL server of a test's own, which it may stop and start again on the same port and data. */
public final class RestartablePostgres implements AutoCloseable {
    private final Path dataDirectory;
    private final int port;
    private EmbeddedPostgres postgres;

    public RestartablePostgres() throws IOException {
        this.dataDirectory = Files.createTempDirectory("sweeper-outage-");
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
    }

    public synchronized RestartablePostgres start() throws IOException {
        postgres = EmbeddedPostgres.builder().setDataDirectory(dataDirectory).setCleanDataDirectory(false)
                .setPort(port).setRegisterShutdownHook(true).start();
        return this;
    }

    public synchronized void stop() throws IOException {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    public TestDatabase database() {
        return new TestDatabase("jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "");
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
