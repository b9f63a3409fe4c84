package io.tokensweeper.purge;

import java.util.Optional;

/** How a run finds the doomed rows of its table. */
public enum PurgeMethod {
    /** Every block of the heap, in TID ranges: for a backlog, when much of the table is doomed. */
    HEAP("heap"),
    /** Keyset batches over the indexes of the expiry and marker columns: for the steady state. */
    INDEX("index");

    private final String id;

    PurgeMethod(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The method with this id; empty for {@code auto} and for anything else. */
    public static Optional<PurgeMethod> fromId(String id) {
        for (PurgeMethod method : values()) {
            if (method.id.equals(id)) {
                return Optional.of(method);
            }
        }
        return Optional.empty();
    }
}
