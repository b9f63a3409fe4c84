package io.tokensweeper.db;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's own schema objects (Quartz tables, run history), applied by Flyway from db/migration
 * inside the jar. Flyway's history lives in the service's schema, apart from the auth service's own
 * migration tool, and its advisory lock lets several nodes start at once.
 */
public final class Migrations {
    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    private final Flyway flyway;
    private final String schema;

    public Migrations(DataSource dataSource, String schema) {
        this.schema = schema;
        this.flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                .table("flyway_schema_history")
                .validateMigrationNaming(true)
                .load();
    }

    public MigrateResult migrate() {
        MigrateResult result = flyway.migrate();
        LOG.info("Schema {} is at version {} ({} migration(s) applied now)",
                schema, result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
                result.migrationsExecuted);
        return result;
    }
}
