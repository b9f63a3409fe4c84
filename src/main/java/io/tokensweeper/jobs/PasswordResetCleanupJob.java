package io.tokensweeper.jobs;

import io.tokensweeper.purge.JobName;
import org.quartz.DisallowConcurrentExecution;

/** Purges used and expired password-reset tokens. One at a time across the cluster. */
@DisallowConcurrentExecution
public class PasswordResetCleanupJob extends CleanupJob {
    @Override
    protected JobName job() {
        return JobName.PASSWORD_RESETS;
    }
}
