package io.tokensweeper.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A PostgreSQL server from the zonky binaries, keeping its data in a directory that survives restarts. */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final Path dataDirectory;
    private EmbeddedPostgres postgres;

    public EmbeddedPostgresServer(Path dataDirectory) {
        this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
    }

    public synchronized void start() {
        if (postgres != null) {
            return;
        }
        try {
            Files.createDirectories(dataDirectory);
            postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    // Dropwizard's lifecycle stops us in order; a JVM hook could race it.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL in " + dataDirectory
                    + " (is another token-sweeper using that directory?)", e);
        }
        LOG.info("Embedded PostgreSQL started on port {} with data in {}", postgres.getPort(), dataDirectory);
    }

    public synchronized String jdbcUrl() {
        if (postgres == null) {
            throw new IllegalStateException("The embedded PostgreSQL is not started");
        }
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public synchronized void close() {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
            LOG.info("Embedded PostgreSQL stopped");
        } catch (IOException e) {
            LOG.warn("The embedded PostgreSQL did not stop cleanly; its data in {} is kept", dataDirectory, e);
        } finally {
            postgres = null;
        }
    }
}
