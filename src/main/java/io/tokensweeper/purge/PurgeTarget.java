package io.tokensweeper.purge;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

/**
 * A target whose table and columns exist and have types we understand; built only by {@link TargetCatalog}.
 * The marker (revoked/used column) is empty when configured as {@code none}.
 */
public record PurgeTarget(JobName job, String schema, String table, Column expiresAt, Optional<Column> marker,
                          ZoneId timestampZone, Duration retention,
                          List<DeleteSideEffect> sideEffects) {

    public PurgeTarget {
        sideEffects = List.copyOf(sideEffects);
    }

    public String qualifiedTable() {
        return Sql.identifier(schema) + "." + Sql.identifier(table);
    }

    /** For logs and messages. */
    public String displayName() {
        return schema + "." + table;
    }
}
