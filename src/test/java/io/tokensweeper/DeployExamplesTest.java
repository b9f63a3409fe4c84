package io.tokensweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of deploy/ without a container engine or a Kubernetes cluster: every YAML document
 * parses, the HA pair's probes point at the admin port, its secrets come from a Secret, the image runs as a
 * user and checks its health on the admin port, the systemd unit restarts and reads its secrets from a file.
 */
class DeployExamplesTest {
    private static final Path DEPLOY = Path.of("deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void everyYamlDocumentParsesAndNamesItsKind() throws IOException {
        List<JsonNode> documents = kubernetesDocuments();

        assertThat(documents).isNotEmpty();
        assertThat(documents).allSatisfy(document -> {
            assertThat(document.path("apiVersion").asText()).as(document.toString()).isNotEmpty();
            assertThat(document.path("kind").asText()).as(document.toString()).isNotEmpty();
            assertThat(document.path("metadata").path("name").asText()).as(document.toString()).isNotEmpty();
        });
    }

    @Test
    void theWorkloadIsAPairWhoseProbesUseTheAdminPort() throws IOException {
        JsonNode workload = workload();
        JsonNode container = container(workload);
        int adminPort = Integer.parseInt(env(container, "ADMIN_PORT").path("value").asText());

        assertThat(workload.path("spec").path("replicas").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(workload.at("/spec/selector/matchLabels"))
                .isEqualTo(workload.at("/spec/template/metadata/labels"));
        assertThat(env(container, "ADMIN_BIND_HOST").path("value").asText()).isEqualTo("0.0.0.0");
        JsonNode liveness = container.path("livenessProbe");
        assertThat(liveness.at("/httpGet/path").asText()).isEqualTo("/ping");
        assertThat(portNumber(container, liveness.at("/httpGet/port"))).isEqualTo(adminPort);
        JsonNode startup = container.path("startupProbe");
        assertThat(portNumber(container, startup.at("/httpGet/port"))).isEqualTo(adminPort);
        JsonNode readiness = container.path("readinessProbe");
        assertThat(readiness.at("/exec/command/0").asText()).isEqualTo("/app/healthcheck.sh");
        String script = Files.readString(DEPLOY.resolve("healthcheck.sh"));
        assertThat(script).contains("GET /healthcheck").contains("${ADMIN_PORT:-8081}").contains("ADMIN_PASSWORD");
    }

    @Test
    void passwordsComeFromASecretAndNoValueLooksLikeOne() throws IOException {
        JsonNode container = container(workload());

        for (String name : List.of("DATABASE_PASSWORD", "ADMIN_PASSWORD")) {
            JsonNode variable = env(container, name);
            assertThat(variable.has("value")).as(name).isFalse();
            assertThat(variable.at("/valueFrom/secretKeyRef/name").asText()).as(name).isNotEmpty();
            assertThat(variable.at("/valueFrom/secretKeyRef/key").asText()).as(name).isNotEmpty();
        }
        assertThat(container.path("env")).allSatisfy(variable -> assertThat(variable.path("name").asText())
                .satisfiesAnyOf(name -> assertThat(name).doesNotContainIgnoringCase("PASSWORD"),
                        name -> assertThat(variable.has("value")).isFalse()));
        assertThat(kubernetesDocuments()).noneSatisfy(document ->
                assertThat(document.path("kind").asText()).isEqualTo("Secret"));
    }

    @Test
    void theHeapAndTheMemoryLimitAreSetAndAPodDisruptionBudgetKeepsOneNode() throws IOException {
        JsonNode workload = workload();
        JsonNode container = container(workload);

        assertThat(env(container, "JDK_JAVA_OPTIONS").path("value").asText()).contains("-Xmx");
        assertThat(container.at("/resources/limits/memory").asText()).isNotEmpty();
        assertThat(container.at("/resources/requests/memory").asText()).isNotEmpty();
        JsonNode budget = kubernetesDocuments().stream()
                .filter(document -> document.path("kind").asText().equals("PodDisruptionBudget"))
                .findFirst().orElseThrow(() -> new AssertionError("no PodDisruptionBudget in deploy/"));
        assertThat(budget.at("/spec/minAvailable").asInt()).isEqualTo(1);
        assertThat(budget.at("/spec/selector/matchLabels")).isEqualTo(workload.at("/spec/selector/matchLabels"));
    }

    @Test
    void theImageBuildsTheProductionJarRunsAsAUserAndChecksTheAdminPort() throws IOException {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));

        assertThat(dockerfile.lines().filter(line -> line.startsWith("FROM "))).hasSize(2);
        assertThat(dockerfile).contains("-Pproduction").contains("COPY --from=build")
                .contains("ADMIN_BIND_HOST=0.0.0.0");
        List<String> users = dockerfile.lines().filter(line -> line.startsWith("USER ")).toList();
        assertThat(users).singleElement().asString().doesNotContain("root").doesNotContain("USER 0");
        assertThat(dockerfile).containsPattern("HEALTHCHECK .*CMD \\[\"/app/healthcheck.sh\"\\]");
        assertThat(Files.isExecutable(DEPLOY.resolve("healthcheck.sh"))).isTrue();
    }

    @Test
    void theSystemdUnitRestartsRunsAsNobodyAndReadsItsSecretsFromAFile() throws IOException {
        String unit = Files.readString(DEPLOY.resolve("systemd/token-sweeper.service"));

        assertThat(unit).contains("\nRestart=on-failure\n").contains("\nEnvironmentFile=/etc/token-sweeper/")
                .containsPattern("\n(DynamicUser=yes|User=\\w+)\n").contains("\nNoNewPrivileges=yes\n")
                .contains("\nSuccessExitStatus=143\n");
        assertThat(unit.lines().filter(line -> line.startsWith("Environment=")))
                .noneSatisfy(line -> assertThat(line).containsIgnoringCase("PASSWORD"));
    }

    @Test
    void systemdAcceptsTheUnit() throws Exception {
        Optional<Path> analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
                .filter(Files::isExecutable).findFirst();
        assumeTrue(analyze.isPresent(), "systemd-analyze is not installed");
        Process verify = new ProcessBuilder(analyze.get().toString(), "verify",
                DEPLOY.resolve("systemd/token-sweeper.service").toString()).redirectErrorStream(true).start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();

        // verify exits 0 even for unknown keys and bad values: only its silence means the unit is clean.
        assertThat(verify.exitValue()).as(output).isZero();
        assertThat(output).isEmpty();
    }

    private static List<JsonNode> kubernetesDocuments() throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DEPLOY)) {
            files = walk.filter(path -> path.toString().endsWith(".yaml") || path.toString().endsWith(".yml"))
                    .sorted().toList();
        }
        for (Path file : files) {
            try (MappingIterator<JsonNode> parsed = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                parsed.readAll().stream().filter(document -> !document.isNull() && !document.isMissingNode())
                        .forEach(documents::add);
            }
        }
        return documents;
    }

    private static JsonNode workload() throws IOException {
        return kubernetesDocuments().stream()
                .filter(document -> List.of("Deployment", "StatefulSet").contains(document.path("kind").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no Deployment or StatefulSet in deploy/"));
    }

    private static JsonNode container(JsonNode workload) {
        JsonNode containers = workload.at("/spec/template/spec/containers");
        assertThat(containers.size()).isEqualTo(1);
        return containers.get(0);
    }

    private static JsonNode env(JsonNode container, String name) {
        for (JsonNode variable : container.path("env")) {
            if (variable.path("name").asText().equals(name)) {
                return variable;
            }
        }
        throw new AssertionError("no " + name + " in the container's env");
    }

    /** A probe's port: a number, or the name of one of the container's ports. */
    private static int portNumber(JsonNode container, JsonNode port) {
        if (port.isInt()) {
            return port.asInt();
        }
        for (JsonNode declared : container.path("ports")) {
            if (declared.path("name").asText().equals(port.asText())) {
                return declared.path("containerPort").asInt();
            }
        }
        throw new AssertionError("port " + port + " is not declared by the container");
    }
}
