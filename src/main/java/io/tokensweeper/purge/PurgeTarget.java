package io.tokensweeper.purge;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/** A target whose table and columns exist and have types we understand; built only by {@link TargetCatalog}. */
public record PurgeTarget(JobName job, String schema, String table, Column expiresAt, Column marker,
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
