package io.tokensweeper.purge;

import java.util.Optional;

/** The column types a purge understands; anything else is refused at start. */
public enum ColumnType {
    BOOLEAN("bool"),
    TIMESTAMPTZ("timestamptz"),
    TIMESTAMP("timestamp");

    private final String pgTypeName;

    ColumnType(String pgTypeName) {
        this.pgTypeName = pgTypeName;
    }

    public static Optional<ColumnType> fromPgTypeName(String typname) {
        for (ColumnType type : values()) {
            if (type.pgTypeName.equals(typname)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** The name in pg_type. */
    public String pgTypeName() {
        return pgTypeName;
    }

    public boolean isTimestamp() {
        return this != BOOLEAN;
    }
}
