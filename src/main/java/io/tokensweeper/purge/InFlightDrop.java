package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.SQLException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session advisory lock per partition, held by the connection that drops it ({@link PartitionDrop}) from before
 * the drop's record is written until the drop is over, and taken by a run before it finishes a drop left unfinished
 * ({@link PendingPartitionDrops}). The run's fence does not cover it: the fence is held by the run's main
 * connection, whose backend ends as soon as the node dies, while a DETACH ... CONCURRENTLY on the drop's own
 * connection goes on (up to the statement timeout) and may complete after a peer looked at the partition.
 */
final class InFlightDrop {
    private static final Logger LOG = LoggerFactory.getLogger(InFlightDrop.class);

    /** First half of the two-int advisory key: "SD", apart from the fence's "SW" ({@link RunFence}). */
    static final int KEY_SPACE = 0x5344;
    /** Why a partition whose lock another session holds is left alone. */
    static final String ELSEWHERE = "a drop of it is still in flight on another session";

    private final WorkerSession session;
    private final long partitionOid;

    private InFlightDrop(WorkerSession session, long partitionOid) {
        this.session = session;
        this.partitionOid = partitionOid;
    }

    /** The second half of the key: the OID's 32 bits. */
    static int key(long partitionOid) {
        return (int) partitionOid;
    }

    /** The partition's lock, on this session; empty when another session holds it (a drop of it is in flight). */
    static Optional<InFlightDrop> tryTake(WorkerSession session, long partitionOid) throws SQLException {
        boolean taken = Jdbc.oneBoolean(session.connection(), "SELECT pg_try_advisory_lock(?, ?)", KEY_SPACE,
                key(partitionOid));
        return taken ? Optional.of(new InFlightDrop(session, partitionOid)) : Optional.empty();
    }

    /** The drop is over. A connection that could not let go of it must not go back to the pool still holding it. */
    void release() {
        try {
            Jdbc.execute(session.connection(), "SELECT pg_advisory_unlock(?, ?)", KEY_SPACE, key(partitionOid));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Could not release the drop lock of partition OID {}; its connection is evicted", partitionOid,
                    e);
            session.evictOnClose();
        }
    }
}
