package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.time.ZoneId;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Misconfigured targets stop the node at start with a message naming the key, and delete nothing. */
class TargetCatalogTest {
    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql");

    @BeforeAll
    static void seed() {
        TestDatabase db = POSTGRES.database();
        PurgeFixture.migrate(db);
        db.execute("""
                INSERT INTO public.refresh_tokens (user_id, token_hash, expires_at, revoked)
                  SELECT gen_random_uuid(), 'h' || i, now() - interval '1 day', true FROM generate_series(1, 10) i;
                CREATE TABLE public.text_expiry (id serial, expires_at text, revoked boolean);
                CREATE TABLE public.int_flag (id serial, expires_at timestamptz, revoked integer);
                CREATE TABLE public.naive_expiry (id serial, expires_at timestamp, revoked boolean);
                CREATE TABLE public.flags (id serial, expires_at timestamptz,
                  revoked_at_not_null timestamptz NOT NULL,
                  revoked_at_default timestamptz DEFAULT now(),
                  revoked_at_generated timestamptz GENERATED ALWAYS AS (expires_at) STORED,
                  revoked_default_true boolean NOT NULL DEFAULT true,
                  revoked_default_expression boolean DEFAULT (1 = 1));
                CREATE VIEW public.token_view AS SELECT * FROM public.refresh_tokens;
                """);
    }

    static Stream<Arguments> misconfigurations() {
        return Stream.of(
                Arguments.of("missing table", set(t -> t.setTable("refresh_tokenz")),
                        "cleanup.refreshTokens.table: table public.refresh_tokenz does not exist; tables in schema public:"),
                Arguments.of("injection-shaped table", set(t -> t.setTable("refresh_tokens; drop table x")),
                        "cleanup.refreshTokens.table: table public.refresh_tokens; drop table x does not exist"),
                Arguments.of("injection-shaped schema", set(t -> t.setSchema("public\"; drop schema public; --")),
                        "cleanup.refreshTokens.table"),
                Arguments.of("missing column", set(t -> t.setExpiresAtColumn("expiresAt")),
                        "cleanup.refreshTokens.expiresAtColumn: column \"expiresAt\" does not exist in"
                                + " public.refresh_tokens; its columns are: id (uuid)"),
                Arguments.of("injection-shaped column", set(t -> t.setExpiresAtColumn("expires_at) OR (true")),
                        "cleanup.refreshTokens.expiresAtColumn: column \"expires_at) OR (true\" does not exist"),
                Arguments.of("missing flag column", set(t -> ((RefreshTokenTargetFactory) t).setRevokedColumn("is_revoked")),
                        "cleanup.refreshTokens.revokedColumn: column \"is_revoked\" does not exist"),
                Arguments.of("text expiry", set(t -> t.setTable("text_expiry")),
                        "cleanup.refreshTokens.expiresAtColumn: column \"expires_at\" of public.text_expiry has type text"),
                Arguments.of("boolean expiry", set(t -> t.setExpiresAtColumn("revoked")),
                        "cleanup.refreshTokens.expiresAtColumn: column \"revoked\" of public.refresh_tokens has type"
                                + " boolean, expected timestamptz or timestamp"),
                Arguments.of("integer flag", set(t -> t.setTable("int_flag")),
                        "cleanup.refreshTokens.revokedColumn: column \"revoked\" of public.int_flag has type int4"),
                Arguments.of("a zone PostgreSQL reads as a fixed abbreviation", set(t -> {
                    t.setTable("naive_expiry");
                    t.setTimestampZone(ZoneId.of("CET"));
                }), "cleanup.refreshTokens.timestampZone: PostgreSQL and Java read the zone \"CET\" differently: at "),
                Arguments.of("flag is the expiry column", set(t -> revoked(t, "expires_at")),
                        "cleanup.refreshTokens.revokedColumn: column \"expires_at\" of public.refresh_tokens is the"
                                + " expiry column (expiresAtColumn): every row with an expiry would count as revoked"
                                + " and be deleted. Name the column that is set only when a row is revoked, or set"
                                + " revokedColumn: none if the table has none"),
                Arguments.of("NOT NULL timestamp flag", set(t -> flagOf(t, "revoked_at_not_null")),
                        "cleanup.refreshTokens.revokedColumn: column \"revoked_at_not_null\" of public.flags is NOT NULL"),
                Arguments.of("NOT NULL timestamp flag with a default", set(t -> revoked(t, "created_at")),
                        "cleanup.refreshTokens.revokedColumn: column \"created_at\" of public.refresh_tokens is NOT NULL"),
                Arguments.of("timestamp flag with a default", set(t -> flagOf(t, "revoked_at_default")),
                        "cleanup.refreshTokens.revokedColumn: column \"revoked_at_default\" of public.flags has DEFAULT"
                                + " now(): a timestamp flag counts as set when it is not null"),
                Arguments.of("generated timestamp flag", set(t -> flagOf(t, "revoked_at_generated")),
                        "cleanup.refreshTokens.revokedColumn: column \"revoked_at_generated\" of public.flags is"
                                + " generated as expires_at"),
                Arguments.of("boolean flag defaulting to true", set(t -> flagOf(t, "revoked_default_true")),
                        "cleanup.refreshTokens.revokedColumn: column \"revoked_default_true\" of public.flags has"
                                + " DEFAULT true: every new row could count as revoked"),
                Arguments.of("boolean flag with a default expression", set(t -> flagOf(t, "revoked_default_expression")),
                        "cleanup.refreshTokens.revokedColumn: column \"revoked_default_expression\" of public.flags"
                                + " has DEFAULT (1 = 1)"),
                Arguments.of("a view", set(t -> t.setTable("token_view")),
                        "cleanup.refreshTokens.table: public.token_view is not an ordinary table"));
    }

    private static Consumer<TargetFactory> set(Consumer<TargetFactory> change) {
        return change;
    }

    private static void revoked(TargetFactory target, String column) {
        ((RefreshTokenTargetFactory) target).setRevokedColumn(column);
    }

    private static void flagOf(TargetFactory target, String column) {
        target.setTable("flags");
        revoked(target, column);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("misconfigurations")
    void refusesToStartNamingTheKey(String name, Consumer<TargetFactory> change, String message) {
        TestDatabase db = POSTGRES.database();
        CleanupFactory config = PurgeFixture.refreshTokensOnly("public", "refresh_tokens", "expires_at", "revoked");
        change.accept(config.getRefreshTokens());

        assertThatThrownBy(() -> PurgeFixture.start(db, config, PurgeFixture.SMALL_BATCHES))
                .isInstanceOf(TargetConfigurationException.class)
                .hasMessageContaining(message);
        assertThat(db.queryLong("SELECT count(*) FROM public.refresh_tokens")).isEqualTo(10);
        assertThat(db.queryLong("SELECT count(*) FROM sweeper.cleanup_runs")).isZero();
    }
}
