package io.tokensweeper.jobs;

import io.tokensweeper.purge.JobName;

/** Which Quartz job class purges which target. */
public final class CleanupJobs {
    private CleanupJobs() {
    }

    public static Class<? extends CleanupJob> classFor(JobName job) {
        return switch (job) {
            case REFRESH_TOKENS -> RefreshTokenCleanupJob.class;
            case PASSWORD_RESETS -> PasswordResetCleanupJob.class;
        };
    }
}
