package io.tokensweeper.purge;

import static io.tokensweeper.purge.DeleteSideEffect.Kind.FOREIGN_KEY;
import static io.tokensweeper.purge.DeleteSideEffect.Kind.RULE;
import static io.tokensweeper.purge.DeleteSideEffect.Kind.TRIGGER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tokensweeper.testing.PostgresExtension;
import io.tokensweeper.testing.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Every foreign key into a target, DELETE trigger and DELETE rule on it is listed at start, exactly, and
 * logged once: WARN for what changes other rows or may keep doomed rows without an error, INFO for the rest.
 */
class DeleteSideEffectsTest {
    private static final String TABLE = "public.refresh_tokens";

    @RegisterExtension
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql")
            .withSetup("sql/delete-side-effects.sql");

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeAll
    static void partitionedTokens() {
        POSTGRES.database().execute("""
                CREATE TABLE public.tokens_by_month (id int PRIMARY KEY, expires_at timestamptz, revoked boolean)
                  PARTITION BY RANGE (id);
                CREATE TABLE public.tokens_2026 PARTITION OF public.tokens_by_month FOR VALUES FROM (0) TO (1000);
                CREATE TABLE public.uses (token_id int
                  CONSTRAINT uses_token_fk REFERENCES public.tokens_by_month (id) ON DELETE CASCADE);
                CREATE TRIGGER tokens_by_month_audit AFTER DELETE ON public.tokens_by_month
                  FOR EACH ROW EXECUTE FUNCTION public.note_deletion();
                """);
    }

    @BeforeEach
    void captureLog() {
        log.start();
        catalogLogger().addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        catalogLogger().detachAppender(log);
    }

    private static Logger catalogLogger() {
        return (Logger) LoggerFactory.getLogger(SideEffectCatalog.class);
    }

    private static PurgeTarget resolve(String table) {
        return resolve(PurgeFixture.refreshTokensOnly("public", table, "expires_at", "revoked").getRefreshTokens());
    }

    private static PurgeTarget resolve(TargetFactory config) {
        TestDatabase db = POSTGRES.database();
        return new TargetCatalog(db.dataSource()).resolve(config);
    }

    @Test
    void listsEveryForeignKeyTriggerAndRuleExactly() {
        List<DeleteSideEffect> effects = resolve("refresh_tokens").sideEffects();

        assertThat(effects).extracting(DeleteSideEffect::kind, DeleteSideEffect::name, DeleteSideEffect::otherTable,
                DeleteSideEffect::action, DeleteSideEffect::changesOrSkipsRows).containsExactly(
                tuple(FOREIGN_KEY, "archive_2026_token_fk", "public.archive_2026", "NO ACTION", false),
                tuple(FOREIGN_KEY, "audit_entries_token_fk", "public.audit_entries", "SET NULL", true),
                tuple(FOREIGN_KEY, "consents_token_fk", "public.consents", "NO ACTION", false),
                tuple(FOREIGN_KEY, "device_links_token_fk", "public.device_links", "SET DEFAULT", true),
                tuple(FOREIGN_KEY, "grants_token_fk", "public.grants", "RESTRICT", false),
                tuple(FOREIGN_KEY, "login_events_token_fk", "public.login_events", "CASCADE", true),
                tuple(FOREIGN_KEY, "refresh_tokens_parent_fk", "public.refresh_tokens", "NO ACTION", false),
                tuple(FOREIGN_KEY, "sessions_token_fk", "public.sessions", "CASCADE", true),
                tuple(TRIGGER, "keep_family_heads", null, "BEFORE ROW", true),
                tuple(TRIGGER, "note <deletion> & more", null, "AFTER ROW", true),
                tuple(TRIGGER, "old_cleanup", null, "AFTER STATEMENT", false),
                tuple(RULE, "count_deletions", null, "DO ALSO", true),
                tuple(RULE, "keep_unexpired", null, "DO INSTEAD", true));
        assertThat(effects).extracting(DeleteSideEffect::description).containsExactly(
                "foreign key archive_2026_token_fk of public.archive_2026 (token_id) ON DELETE NO ACTION: a"
                        + " still-referenced doomed row cannot be deleted; the purge goes around it and reports it;"
                        + " deferrable, initially immediate",
                "foreign key audit_entries_token_fk of public.audit_entries (token_id) ON DELETE SET NULL: deleting a"
                        + " doomed row sets token_id to NULL in the rows of public.audit_entries that reference it",
                "foreign key consents_token_fk of public.consents (token_id) ON DELETE NO ACTION: a still-referenced"
                        + " doomed row cannot be deleted; the purge goes around it and reports it; deferrable,"
                        + " initially deferred: checked at commit",
                "foreign key device_links_token_fk of public.device_links (token_id) ON DELETE SET DEFAULT: deleting"
                        + " a doomed row sets token_id to its default in the rows of public.device_links that"
                        + " reference it",
                "foreign key grants_token_fk of public.grants (token_id) ON DELETE RESTRICT: a still-referenced"
                        + " doomed row cannot be deleted; the purge goes around it and reports it; no index on"
                        + " public.grants (token_id), so every deleted row scans public.grants for references:"
                        + " CREATE INDEX CONCURRENTLY ON public.grants (token_id)",
                "foreign key login_events_token_fk of public.login_events (token_id) ON DELETE CASCADE: deleting a"
                        + " doomed row also deletes every row of public.login_events (partitioned: all its"
                        + " partitions) that references it, live or not",
                "foreign key refresh_tokens_parent_fk of public.refresh_tokens (parent_id) ON DELETE NO ACTION: a"
                        + " still-referenced doomed row cannot be deleted; the purge goes around it and reports it",
                "foreign key sessions_token_fk of public.sessions (token_id) ON DELETE CASCADE: deleting a doomed row"
                        + " also deletes every row of public.sessions that references it, live or not",
                "BEFORE ROW DELETE trigger keep_family_heads runs public.keep_family_heads() for each doomed row: it"
                        + " may skip the row (by returning NULL), which then stays (the run reports it as skipped),"
                        + " and may change other rows",
                "AFTER ROW DELETE trigger note <deletion> & more runs public.note_deletion() and may change other rows",
                "AFTER STATEMENT DELETE trigger old_cleanup runs public.nothing(), but does not fire in the purge's"
                        + " sessions: it is disabled",
                "DELETE rule count_deletions (DO ALSO): every purge DELETE also runs the rule's commands, which may"
                        + " change other tables",
                "DELETE rule keep_unexpired (DO INSTEAD): PostgreSQL rewrites the purge's DELETE, so doomed rows may"
                        + " not be deleted at all (the run reports them as skipped), and other tables may change");
    }

    @Test
    void logsEachOnceWarningForThoseThatChangeOrSkipRows() {
        List<DeleteSideEffect> effects = resolve("refresh_tokens").sideEffects();

        assertThat(log.list).extracting(ILoggingEvent::getLevel, ILoggingEvent::getFormattedMessage)
                .containsExactlyElementsOf(effects.stream().map(effect -> tuple(
                        effect.warrantsWarning() ? Level.WARN : Level.INFO,
                        "Purge refresh-tokens on " + TABLE + ": " + effect.description())).toList());
        assertThat(log.list).filteredOn(event -> event.getLevel() == Level.WARN).hasSize(9);
    }

    @Test
    void aTableWithoutAnyHasNone() {
        assertThat(resolve(PurgeFixture.passwordResetsOnly("public", "password_resets", "expires_at", "used")
                .getPasswordResets()).sideEffects()).isEmpty();
        assertThat(log.list).isEmpty();
    }

    @Test
    void aPartitionTargetSeesTheForeignKeysAndTriggersOfItsParent() {
        assertThat(resolve("tokens_2026").sideEffects())
                .extracting(DeleteSideEffect::kind, DeleteSideEffect::otherTable, DeleteSideEffect::action)
                .containsExactly(tuple(FOREIGN_KEY, "public.uses", "CASCADE"),
                        tuple(TRIGGER, null, "AFTER ROW"));
    }
}
