package io.tokensweeper.admin;

import io.tokensweeper.purge.JobName;
import java.util.Arrays;
import java.util.List;

/** The {@code job} parameter of the admin tasks: one job id, or {@code all}. */
final class JobParameter {
    static final String ALL = "all";

    private JobParameter() {
    }

    static List<JobName> parse(String value) {
        if (ALL.equals(value)) {
            return Arrays.asList(JobName.values());
        }
        return List.of(JobName.fromId(value).orElseThrow(() -> new IllegalArgumentException(
                "job must be one of " + JobName.validIds() + ", " + ALL + "; was '" + value + "'")));
    }
}
