package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.time.ZoneId;
import java.util.List;

/** The {@code cleanup:} block of config.yml: the two targets and how runs are batched. */
public class CleanupFactory {
    /** The zone in which cron expressions are read. */
    @NotNull
    private ZoneId timeZone = ZoneId.of("UTC");

    @Valid
    @NotNull
    private BatchFactory batch = new BatchFactory();

    @Valid
    @NotNull
    private RefreshTokenTargetFactory refreshTokens = new RefreshTokenTargetFactory();

    @Valid
    @NotNull
    private PasswordResetTargetFactory passwordResets = new PasswordResetTargetFactory();

    @JsonProperty
    public ZoneId getTimeZone() {
        return timeZone;
    }

    @JsonProperty
    public void setTimeZone(ZoneId timeZone) {
        this.timeZone = timeZone;
    }

    @JsonProperty
    public BatchFactory getBatch() {
        return batch;
    }

    @JsonProperty
    public void setBatch(BatchFactory batch) {
        this.batch = batch;
    }

    @JsonProperty
    public RefreshTokenTargetFactory getRefreshTokens() {
        return refreshTokens;
    }

    @JsonProperty
    public void setRefreshTokens(RefreshTokenTargetFactory refreshTokens) {
        this.refreshTokens = refreshTokens;
    }

    @JsonProperty
    public PasswordResetTargetFactory getPasswordResets() {
        return passwordResets;
    }

    @JsonProperty
    public void setPasswordResets(PasswordResetTargetFactory passwordResets) {
        this.passwordResets = passwordResets;
    }

    public List<TargetFactory> targets() {
        return List.of(refreshTokens, passwordResets);
    }

    public TargetFactory target(JobName job) {
        return job == JobName.REFRESH_TOKENS ? refreshTokens : passwordResets;
    }
}
