package io.tokensweeper.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/** The {@code admin:} block: basic authentication on the admin port, on when a password is set. */
public class AdminAccessFactory {
    @NotEmpty
    private String username = "admin";

    /** ADMIN_PASSWORD; empty means the admin port is open (it binds to 127.0.0.1 unless told otherwise). */
    @NotNull
    private String password = "";

    @JsonProperty
    public String getUsername() {
        return username;
    }

    @JsonProperty
    public void setUsername(String username) {
        this.username = username;
    }

    @JsonProperty
    public String getPassword() {
        return password;
    }

    @JsonProperty
    public void setPassword(String password) {
        this.password = password;
    }

    public boolean isEnabled() {
        return !password.isEmpty();
    }

    @Override
    public String toString() {
        return "admin access for user " + username + (isEnabled() ? " (password set)" : " (open)");
    }
}
