package io.tokensweeper.purge;

/**
 * A heap position: block and line pointer, as PostgreSQL's {@code ctid}. Line pointers start at 1, so
 * {@code (b,0)} is the start of block b. Only numbers ever go into the SQL literal.
 */
record Tid(long block, int offset) implements Comparable<Tid> {
    static final Tid START = new Tid(0, 0);

    Tid {
        if (block < 0 || offset < 0) {
            throw new IllegalArgumentException("a tid has no negative parts: (" + block + "," + offset + ")");
        }
    }

    static Tid blockStart(long block) {
        return new Tid(block, 0);
    }

    /** Parses PostgreSQL's text form, {@code (12,5)}. */
    static Tid parse(String text) {
        String inner = text.trim();
        if (!inner.startsWith("(") || !inner.endsWith(")")) {
            throw new IllegalArgumentException("not a tid: " + text);
        }
        String[] parts = inner.substring(1, inner.length() - 1).split(",", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("not a tid: " + text);
        }
        return new Tid(Long.parseLong(parts[0].trim()), Integer.parseInt(parts[1].trim()));
    }

    /** The first position after this one. */
    Tid next() {
        return new Tid(block, offset + 1);
    }

    String literal() {
        return "'(" + block + "," + offset + ")'::tid";
    }

    @Override
    public int compareTo(Tid other) {
        int byBlock = Long.compare(block, other.block);
        return byBlock != 0 ? byBlock : Integer.compare(offset, other.offset);
    }

    @Override
    public String toString() {
        return "(" + block + "," + offset + ")";
    }
}
