package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;

/** {@code cleanup.refreshTokens}: delete where revoked OR expired. */
public class RefreshTokenTargetFactory extends TargetFactory {
    @NotEmpty
    private String revokedColumn = "revoked";

    public RefreshTokenTargetFactory() {
        super("refresh_tokens", "0 3 * * *");
    }

    @Override
    public JobName job() {
        return JobName.REFRESH_TOKENS;
    }

    @Override
    public String markerColumnKey() {
        return "revokedColumn";
    }

    @Override
    public String markerColumn() {
        return revokedColumn;
    }

    @Override
    public String configPath() {
        return "cleanup.refreshTokens";
    }

    @Override
    public String cronVariable() {
        return "REFRESH_TOKEN_CLEANUP_CRON";
    }

    @JsonProperty
    public String getRevokedColumn() {
        return revokedColumn;
    }

    @JsonProperty
    public void setRevokedColumn(String revokedColumn) {
        this.revokedColumn = revokedColumn;
    }
}
