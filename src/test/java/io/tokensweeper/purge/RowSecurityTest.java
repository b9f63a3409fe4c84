package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Row-level security that applies to the purge's role would hide doomed rows from it forever while its runs
 * report success: the node refuses such a target at start, and accepts the roles RLS does not apply to.
 */
class RowSecurityTest {
    private static final String ROLE = "rls_purger";
    private static final String PASSWORD = "rls-secret";

    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    private static TestDatabase asRole;

    @BeforeAll
    static void setUp() {
        TestDatabase db = POSTGRES.database();
        db.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN"
                + " CREATE ROLE " + ROLE + " LOGIN; END IF; END $$");
        db.execute("ALTER ROLE " + ROLE + " PASSWORD '" + PASSWORD + "' NOBYPASSRLS");
        db.execute("""
                GRANT SELECT, DELETE ON public.refresh_tokens TO rls_purger;
                ALTER TABLE public.refresh_tokens ENABLE ROW LEVEL SECURITY;
                CREATE POLICY live_only ON public.refresh_tokens USING (expires_at > now());
                CREATE TABLE public.owned_tokens (LIKE public.refresh_tokens);
                ALTER TABLE public.owned_tokens OWNER TO rls_purger;
                ALTER TABLE public.owned_tokens ENABLE ROW LEVEL SECURITY;
                CREATE TABLE public.forced_tokens (LIKE public.refresh_tokens);
                ALTER TABLE public.forced_tokens OWNER TO rls_purger;
                ALTER TABLE public.forced_tokens ENABLE ROW LEVEL SECURITY;
                ALTER TABLE public.forced_tokens FORCE ROW LEVEL SECURITY;
                """);
        asRole = new TestDatabase(db.url(), ROLE, PASSWORD);
    }

    @AfterAll
    static void tearDown() {
        asRole.close();
        POSTGRES.database().execute("ALTER ROLE " + ROLE + " NOBYPASSRLS");
    }

    private static PurgeTarget resolve(String table) {
        TargetFactory config = PurgeFixture.refreshTokensOnly("public", table, "expires_at", "revoked")
                .getRefreshTokens();
        return new TargetCatalog(asRole.dataSource()).resolve(config);
    }

    @Test
    void refusesARoleThatIsNeitherOwnerNorBypassRls() {
        POSTGRES.database().execute("ALTER ROLE " + ROLE + " NOBYPASSRLS");

        assertThatThrownBy(() -> resolve("refresh_tokens"))
                .isInstanceOf(TargetConfigurationException.class)
                .hasMessageStartingWith("cleanup.refreshTokens.table: row-level security on public.refresh_tokens"
                        + " applies to database user rls_purger, which is neither the table's owner nor BYPASSRLS")
                .hasMessageContaining("ALTER ROLE \"rls_purger\" BYPASSRLS")
                .hasMessageContaining("ALTER TABLE \"public\".\"refresh_tokens\" DISABLE ROW LEVEL SECURITY")
                .hasMessageContaining("A policy does not help, even USING (true)")
                .hasMessageContaining("row_security = off");
    }

    @Test
    void acceptsTheSameRoleWithBypassRls() {
        POSTGRES.database().execute("ALTER ROLE " + ROLE + " BYPASSRLS");

        assertThat(resolve("refresh_tokens").displayName()).isEqualTo("public.refresh_tokens");
    }

    @Test
    void acceptsTheOwnerWhenRowSecurityIsNotForced() {
        POSTGRES.database().execute("ALTER ROLE " + ROLE + " NOBYPASSRLS");

        assertThat(resolve("owned_tokens").displayName()).isEqualTo("public.owned_tokens");
    }

    @Test
    void refusesTheOwnerWhenRowSecurityIsForced() {
        POSTGRES.database().execute("ALTER ROLE " + ROLE + " NOBYPASSRLS");

        assertThatThrownBy(() -> resolve("forced_tokens"))
                .isInstanceOf(TargetConfigurationException.class)
                .hasMessageStartingWith("cleanup.refreshTokens.table: row-level security on public.forced_tokens"
                        + " is forced (FORCE ROW LEVEL SECURITY), so it applies even to its owner, database user"
                        + " rls_purger")
                .hasMessageContaining("ALTER TABLE \"public\".\"forced_tokens\" NO FORCE ROW LEVEL SECURITY")
                .hasMessageContaining("ALTER ROLE \"rls_purger\" BYPASSRLS")
                .hasMessageContaining("row_security = off");
    }
}
