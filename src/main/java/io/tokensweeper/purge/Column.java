package io.tokensweeper.purge;

/** A column checked against the catalog: its exact name and understood type. */
public record Column(String name, ColumnType type) {
    public String quoted() {
        return Sql.identifier(name);
    }
}
