package io.tokensweeper.db;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;

/** The {@code database.embedded:} block: only read when {@code database.url} is {@code embedded}. */
public class EmbeddedDatabaseFactory {
    @NotEmpty
    private String dataDirectory = "./data";

    @Min(0)
    @Max(100_000_000)
    private int seedRefreshTokens = 10_000;

    @Min(0)
    @Max(100_000_000)
    private int seedPasswordResets = 2_000;

    @JsonProperty
    public String getDataDirectory() {
        return dataDirectory;
    }

    @JsonProperty
    public void setDataDirectory(String dataDirectory) {
        this.dataDirectory = dataDirectory;
    }

    @JsonProperty
    public int getSeedRefreshTokens() {
        return seedRefreshTokens;
    }

    @JsonProperty
    public void setSeedRefreshTokens(int seedRefreshTokens) {
        this.seedRefreshTokens = seedRefreshTokens;
    }

    @JsonProperty
    public int getSeedPasswordResets() {
        return seedPasswordResets;
    }

    @JsonProperty
    public void setSeedPasswordResets(int seedPasswordResets) {
        this.seedPasswordResets = seedPasswordResets;
    }
}
