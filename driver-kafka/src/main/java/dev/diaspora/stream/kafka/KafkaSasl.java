package dev.diaspora.stream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.SecretOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The driver option {@code sasl}: a SASL mechanism and credentials, the password given inline, read from a file or
 * from an environment variable, turned into Kafka's {@code sasl.mechanism} and {@code sasl.jaas.config}. The password
 * appears in no message and no {@code toString}; Kafka itself prints {@code sasl.jaas.config} as {@code [hidden]}.
 *
 * <p>Thread safety: immutable.
 */
final class KafkaSasl {
    static final Set<String> MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
    private static final Set<String> KEYS = Set.of("mechanism", "username", "password", "password_file",
            "password_env");

    final String mechanism;
    final String username;
    private final String password;

    private KafkaSasl(String mechanism, String username, String password) {
        this.mechanism = mechanism;
        this.username = username;
        this.password = password;
    }

    /**
     * Reads the option's object.
     *
     * @param env the environment (System::getenv outside tests)
     * @throws InvalidOptionException naming the key that is wrong, never the password
     */
    static KafkaSasl from(Metadata option, Function<String, String> env) {
        JsonNode o = option.json();
        if (!o.isObject()) {
            throw bad("must be an object {\"mechanism\":..., \"username\":..., \"password_file\"|\"password_env\""
                    + "|\"password\":...}");
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw bad("has an unknown key '" + k + "'; accepted: " + String.join(", ", KEYS.stream().sorted()
                        .toList()));
            }
        }
        String mechanism = text(o, "mechanism", "PLAIN");
        if (!MECHANISMS.contains(mechanism)) {
            throw bad("key 'mechanism' is '" + mechanism + "'; accepted: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512");
        }
        String username = text(o, "username", null);
        if (username == null || username.isEmpty()) {
            throw bad("needs a non-empty string 'username'");
        }
        String password = SecretOption.read("Option 'sasl' of driver 'kafka'", "password", text(o, "password", null),
                text(o, "password_file", null), text(o, "password_env", null), env);
        if (password == null) {
            throw bad("needs exactly one of 'password', 'password_file' (a file holding the password) or"
                    + " 'password_env' (the name of an environment variable holding it)");
        }
        if (password.isEmpty()) {
            throw bad("the password is empty");
        }
        if (username.indexOf('"') >= 0 || password.indexOf('"') >= 0 || username.indexOf('\\') >= 0
                || password.indexOf('\\') >= 0) {
            throw bad("the username or password contains '\"' or '\\', which Kafka's JAAS configuration cannot"
                    + " carry");
        }
        return new KafkaSasl(mechanism, username, password);
    }

    private static String text(JsonNode o, String key, String fallback) {
        JsonNode v = o.get(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw bad("key '" + key + "' must be a string");
        }
        return v.textValue();
    }

    private static InvalidOptionException bad(String what) {
        return new InvalidOptionException("Option 'sasl' of driver 'kafka' " + what);
    }

    /** Puts {@code sasl.mechanism} and {@code sasl.jaas.config} into a client configuration. */
    void configure(Map<Object, Object> client) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        client.put("sasl.mechanism", mechanism);
        client.put("sasl.jaas.config", module + " required username=\"" + username + "\" password=\"" + password
                + "\";");
    }

    /** @return the mechanism and user, never the password */
    @Override
    public String toString() {
        return "SASL " + mechanism + " user '" + username + "'";
    }
}
