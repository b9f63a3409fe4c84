package io.tokensweeper.jobs;

import io.tokensweeper.purge.JobName;
import org.quartz.DisallowConcurrentExecution;

/** Purges revoked and expired refresh tokens. One at a time across the cluster. */
@DisallowConcurrentExecution
public class RefreshTokenCleanupJob extends CleanupJob {
    @Override
    protected JobName job() {
        return JobName.REFRESH_TOKENS;
    }
}
