package io.tokensweeper.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationFactoryFactory;
import io.dropwizard.configuration.ConfigurationParsingException;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.DefaultConfigurationFactoryFactory;
import jakarta.validation.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Dropwizard's configuration factory, except for malformed YAML: Dropwizard's message quotes the offending
 * line, and after environment substitution that line may hold DATABASE_PASSWORD or ADMIN_PASSWORD. This one
 * names the key, the line and the column, never the text. Every command parses config.yml through it.
 */
public final class SecretSafeConfigurationFactory<T> implements ConfigurationFactory<T> {
    private final ConfigurationFactory<T> delegate;

    private SecretSafeConfigurationFactory(ConfigurationFactory<T> delegate) {
        this.delegate = delegate;
    }

    public static <T> ConfigurationFactoryFactory<T> factory() {
        DefaultConfigurationFactoryFactory<T> defaults = new DefaultConfigurationFactoryFactory<>();
        return (Class<T> klass, Validator validator, ObjectMapper mapper, String prefix) ->
                new SecretSafeConfigurationFactory<>(defaults.create(klass, validator, mapper, prefix));
    }

    @Override
    public T build(ConfigurationSourceProvider provider, String path) throws IOException, ConfigurationException {
        try {
            return delegate.build(provider, path);
        } catch (ConfigurationParsingException e) {
            Optional<JsonParseException> malformed = malformedYaml(e);
            if (malformed.isEmpty()) {
                throw e;
            }
            throw new MalformedYamlException(path, describe(malformed.get().getLocation(), provider, path));
        }
    }

    @Override
    public T build() throws IOException, ConfigurationException {
        return delegate.build();
    }

    private static Optional<JsonParseException> malformedYaml(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonParseException parse) {
                return Optional.of(parse);
            }
        }
        return Optional.empty();
    }

    private static String describe(JsonLocation location, ConfigurationSourceProvider provider, String path) {
        int line = location.getLineNr();
        String key;
        try (InputStream source = provider.open(path)) {
            key = YamlKeyPath.at(new String(source.readAllBytes(), StandardCharsets.UTF_8).lines().toList(), line)
                    .map(k -> " (key " + k + ")").orElse("");
        } catch (IOException | RuntimeException unreadable) {
            key = "";
        }
        return "Malformed YAML at line " + line + ", column " + location.getColumnNr() + key
                + "; the line is not shown, it may hold a secret. A value from an environment variable inside"
                + " double quotes (DATABASE_PASSWORD, ADMIN_PASSWORD) must write \" as \\\" and \\ as \\\\";
    }

    /** Dropwizard's own exception types print the YAML; this one prints only the one error given. */
    static final class MalformedYamlException extends ConfigurationException {
        private static final long serialVersionUID = 1L;

        MalformedYamlException(String path, String error) {
            super(path, List.of(error));
        }
    }
}
