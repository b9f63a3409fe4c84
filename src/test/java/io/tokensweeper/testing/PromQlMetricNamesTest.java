package io.tokensweeper.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlMetricNamesTest {
    @Test
    void findsMetricsButNotFunctionsLabelsKeywordsNumbersOrGrafanaVariables() {
        assertThat(PromQlMetricNames.in("time() - max by (job, cleanup_job) (token_sweeper_last_success_timestamp_seconds"
                + "{job=~\"$job\", cleanup_job!=\"x\"} > 0) > 2 * on (job, cleanup_job) group_left token_sweeper:interval"))
                .containsExactly("token_sweeper:interval", "token_sweeper_last_success_timestamp_seconds");
        assertThat(PromQlMetricNames.in("sum without (instance) (rate(a_total[$__rate_interval] offset 5m)) / 1e3"
                + " unless absent(b) or label_replace(c, \"dst\", \"$1\", \"src\", \"(.*)\")"))
                .containsExactly("a_total", "b", "c");
        assertThat(PromQlMetricNames.in("max_over_time(d{state=\"presumed_dead\"}[15m:1m]) > bool 0"))
                .containsExactly("d");
    }
}
