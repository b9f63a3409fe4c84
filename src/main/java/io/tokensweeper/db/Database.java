package io.tokensweeper.db;

import com.codahale.metrics.MetricRegistry;
import com.zaxxer.hikari.HikariDataSource;
import io.dropwizard.lifecycle.Managed;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database a node works on, owned as one lifecycle: the embedded server when configured, the
 * connection pool, the service's migrations and, for the embedded default only, the demo auth tables.
 * Started first and stopped last, so everything else can rely on it being there.
 */
public final class Database implements Managed, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final DatabaseFactory settings;
    private final MetricRegistry metrics;
    private final String applicationName;
    private final HikariDataSource dataSource;
    private EmbeddedPostgresServer embeddedServer;
    private boolean started;

    Database(DatabaseFactory settings, MetricRegistry metrics, String purpose) {
        this.settings = settings;
        this.metrics = metrics;
        this.applicationName = "token-sweeper-" + purpose;
        // Configured now, connected in start(): everything wired in run() can hold the DataSource already.
        this.dataSource = new HikariDataSource();
        configurePool();
    }

    @Override
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        String jdbcUrl = settings.getUrl();
        if (settings.isEmbedded()) {
            if (!EmbeddedBinaries.inThisBuild()) {
                throw DatabaseStartException.embeddedNotInThisBuild();
            }
            LOG.warn("DATABASE_URL is not set: using the EMBEDDED PostgreSQL with data in {}, seeded with demo"
                    + " auth tables. This mode is for trying token-sweeper, NOT for production: set DATABASE_URL"
                    + " to your auth service's PostgreSQL.", settings.getEmbedded().getDataDirectory());
            embeddedServer = new EmbeddedPostgresServer(Path.of(settings.getEmbedded().getDataDirectory()));
            embeddedServer.start();
            jdbcUrl = embeddedServer.jdbcUrl();
        }
        try {
            dataSource.setJdbcUrl(jdbcUrl);
            new Migrations(dataSource, settings.getSchema()).migrate();
            if (settings.isEmbedded()) {
                new DemoAuthData(dataSource, settings.getEmbedded()).createAndSeed();
            }
        } catch (RuntimeException e) {
            close();
            throw DatabaseStartException.ifUnavailable(e, jdbcUrl, settings.getUser()).orElseThrow(() -> e);
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public String schema() {
        return settings.getSchema();
    }

    @Override
    public void stop() {
        close();
    }

    @Override
    public synchronized void close() {
        dataSource.close();
        if (embeddedServer != null) {
            embeddedServer.close();
            embeddedServer = null;
        }
    }

    private void configurePool() {
        HikariDataSource config = dataSource;
        // One pool name on every node, so its metrics have the same names cluster-wide.
        config.setPoolName("token-sweeper");
        config.setUsername(settings.getUser());
        config.setPassword(settings.getPassword());
        config.setMaximumPoolSize(settings.getMaximumPoolSize());
        config.setMinimumIdle(Math.min(2, settings.getMaximumPoolSize()));
        config.setConnectionTimeout(settings.getConnectionTimeout().toMilliseconds());
        // Fail at start rather than serve a node that cannot reach its database.
        config.setInitializationFailTimeout(settings.getConnectionTimeout().toMilliseconds());
        // Names the node in pg_stat_activity, pg_locks and the fence's "held by" messages.
        config.addDataSourceProperty("ApplicationName", applicationName);
        config.addDataSourceProperty("tcpKeepAlive", "true");
        if (metrics != null) {
            config.setMetricRegistry(metrics);
        }
    }
}
