package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.tokensweeper.testing.AppNodes;
import io.tokensweeper.testing.PostgresExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a purge's DELETE also reaches (foreign keys, triggers, rules) is on GET /jobs and the dashboard. */
class SideEffectsViewTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    @Order(1)
    static final PostgresExtension POSTGRES = new PostgresExtension().withSetup("db/demo/auth-schema.sql")
            .withSetup("sql/delete-side-effects.sql");

    @RegisterExtension
    @Order(2)
    static final DropwizardAppExtension<TokenSweeperConfiguration> NODE = AppNodes.testEnvironmentNode(POSTGRES, "effects");

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    @Test
    void jobsListsEachSideEffectOfTheTargetsDelete() throws Exception {
        JsonNode jobs = new ObjectMapper().readTree(get("http://127.0.0.1:" + NODE.getLocalPort() + "/jobs"));

        JsonNode effects = jobs.get(0).get("sideEffects");
        List<String> listed = new ArrayList<>();
        effects.forEach(e -> listed.add(e.get("kind").asText() + " " + e.get("name").asText()));
        assertThat(listed).containsExactly("foreign-key archive_2026_token_fk", "foreign-key audit_entries_token_fk",
                "foreign-key consents_token_fk", "foreign-key device_links_token_fk", "foreign-key grants_token_fk",
                "foreign-key login_events_token_fk", "foreign-key refresh_tokens_parent_fk",
                "foreign-key sessions_token_fk", "trigger keep_family_heads", "trigger note <deletion> & more",
                "trigger old_cleanup", "rule count_deletions", "rule keep_unexpired");
        assertThat(effects.get(7).get("otherTable").asText()).isEqualTo("public.sessions");
        assertThat(effects.get(7).get("action").asText()).isEqualTo("CASCADE");
        assertThat(effects.get(7).get("changesOrSkipsRows").asBoolean()).isTrue();
        assertThat(effects.get(8).get("otherTable").isNull()).isTrue();
        assertThat(effects.get(7).get("description").asText()).isEqualTo("foreign key sessions_token_fk of"
                + " public.sessions (token_id) ON DELETE CASCADE: deleting a doomed row also deletes every row of"
                + " public.sessions that references it, live or not");
        assertThat(jobs.get(1).get("name").asText()).isEqualTo("password-resets");
        assertThat(jobs.get(1).get("sideEffects")).isEmpty();
    }

    @Test
    void theDashboardShowsThemEscaped() throws Exception {
        String page = get("http://127.0.0.1:" + NODE.getAdminPort() + "/dashboard");

        assertThat(page).contains("sessions_token_fk").contains("public.login_events").contains("keep_family_heads")
                .contains("keep_unexpired").contains("note &lt;deletion&gt; &amp; more")
                .doesNotContain("note <deletion>")
                .contains("a still-referenced doomed row cannot be deleted; the purge goes around it and reports it");
    }
}
