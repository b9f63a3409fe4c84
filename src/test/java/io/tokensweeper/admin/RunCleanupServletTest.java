package io.tokensweeper.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokensweeper.purge.JobName;
import io.tokensweeper.purge.PurgeMethod;
import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.purge.RunStatus;
import io.tokensweeper.scheduler.OnDemandRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The answer codes and parameter rules of POST /tasks/run-cleanup, without a server. */
class RunCleanupServletTest {
    private static OnDemandRuns.Outcome finished(RunStatus status) {
        RunRecord run = new RunRecord(1, "refresh-tokens", "manual", null, Instant.EPOCH, Instant.EPOCH.plusSeconds(1),
                "n", status, false, 10, 1, status == RunStatus.PARTIAL ? 2 : 0, List.of(), 100,
                status == RunStatus.SUCCEEDED ? null : "why", null, PurgeMethod.HEAP, "test");
        return new OnDemandRuns.Outcome(JobName.REFRESH_TOKENS, OnDemandRuns.Kind.FINISHED, run, Duration.ZERO);
    }

    @Test
    void onlyARunThatSucceededAnswers200() {
        assertThat(RunCleanupServlet.status(List.of(finished(RunStatus.SUCCEEDED)), true)).isEqualTo(200);
        assertThat(RunCleanupServlet.status(List.of(finished(RunStatus.FAILED)), true)).isEqualTo(500);
        assertThat(RunCleanupServlet.status(List.of(finished(RunStatus.INTERRUPTED)), true)).isEqualTo(500);
        // Through the whole table with some rows skipped: the line says which; the run did its work.
        assertThat(RunCleanupServlet.status(List.of(finished(RunStatus.PARTIAL)), true)).isEqualTo(200);
        assertThat(RunCleanupServlet.status(List.of(finished(RunStatus.SUCCEEDED), new OnDemandRuns.Outcome(
                JobName.PASSWORD_RESETS, OnDemandRuns.Kind.QUEUED, null, Duration.ZERO)), false)).isEqualTo(202);
    }

    @Test
    void aDisabledJobConflictsOnlyWhenNamedExplicitly() {
        OnDemandRuns.Outcome disabled = new OnDemandRuns.Outcome(JobName.PASSWORD_RESETS, OnDemandRuns.Kind.DISABLED,
                null, Duration.ZERO);
        assertThat(RunCleanupServlet.status(List.of(disabled), true)).isEqualTo(409);
        assertThat(RunCleanupServlet.status(List.of(finished(RunStatus.SUCCEEDED), disabled), false)).isEqualTo(200);
    }

    @Test
    void parametersAreStrict() {
        assertThat(RunCleanupServlet.parse(Map.of()).jobs()).containsExactly(JobName.values());
        assertThat(RunCleanupServlet.parse(Map.of("wait", new String[] {"0"})).waitFor()).isZero();
        assertThatThrownBy(() -> RunCleanupServlet.parse(Map.of("job", new String[] {"a", "b"})))
                .hasMessage("parameter 'job' was given 2 times; give it once");
        assertThatThrownBy(() -> RunCleanupServlet.parse(Map.of("wait", new String[] {"601"})))
                .hasMessageContaining("wait must be a whole number of seconds from 0 to 600; was '601'");
        assertThatThrownBy(() -> RunCleanupServlet.parse(Map.of("evenIfPaused", new String[] {"1"})))
                .hasMessage("evenIfPaused must be true or false; was '1'");
    }
}
