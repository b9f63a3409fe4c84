package io.tokensweeper.purge;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

/**
 * A target whose table and columns exist and have types we understand; built only by {@link TargetCatalog}.
 * The marker (revoked/used column) is empty when configured as {@code none}. {@code partitioned}: the table is
 * declaratively partitioned, and a run purges each of its leaf partitions in turn ({@link #withTable}).
 * {@code partitionOf}: for such a leaf, the partitioned table it belongs to (quoted, qualified).
 * {@code dropDoomedPartitions}: the opt-in to drop a partition whose every row is doomed ({@link PartitionDrop}).
 */
public record PurgeTarget(JobName job, String schema, String table, Column expiresAt, Optional<Column> marker,
                          ZoneId timestampZone, Duration retention,
                          List<DeleteSideEffect> sideEffects, boolean partitioned, Optional<String> partitionOf,
                          boolean dropDoomedPartitions) {

    public PurgeTarget {
        sideEffects = List.copyOf(sideEffects);
    }

    /** An ordinary table. */
    public PurgeTarget(JobName job, String schema, String table, Column expiresAt, Optional<Column> marker,
                       ZoneId timestampZone, Duration retention, List<DeleteSideEffect> sideEffects) {
        this(job, schema, table, expiresAt, marker, timestampZone, retention, sideEffects, false, Optional.empty(),
                false);
    }

    /**
     * One leaf partition of this partitioned target, purged as a target of its own: same columns, same rules,
     * statements on {@code ONLY} the leaf, and a guard that also checks it is still a partition of this table.
     */
    PurgeTarget withTable(String leafSchema, String leafTable) {
        return new PurgeTarget(job, leafSchema, leafTable, expiresAt, marker, timestampZone, retention, sideEffects,
                false, Optional.of(qualifiedTable()), false);
    }

    public String qualifiedTable() {
        return Sql.identifier(schema) + "." + Sql.identifier(table);
    }

    /** For logs and messages. */
    public String displayName() {
        return schema + "." + table;
    }
}
