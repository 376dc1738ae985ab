package dev.diaspora.stream.internal.components;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The {@code schema} validator on a full JSON Schema implementation: keywords the former hand-written subset could
 * not express, the drafts chosen by {@code $schema}, and schemas refused when the validator is built. The older
 * keyword-by-keyword rules are in {@code ComponentsTest.SchemaValidation}.
 */
class SchemaValidatorTest {
    private static Validator schema(String schema) {
        return Validator.fromConfig(Metadata.of("{\"type\":\"schema\",\"schema\":" + schema + "}"));
    }

    private static void assertValid(Validator v, String metadata) {
        assertDoesNotThrow(() -> v.validate(Metadata.of(metadata), DataView.EMPTY), metadata);
    }

    private static String violations(Validator v, String metadata) {
        ValidationException e = assertThrows(ValidationException.class,
                () -> v.validate(Metadata.of(metadata), DataView.EMPTY), metadata);
        String prefix = "Metadata does not match the topic's schema: ";
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        return e.getMessage().substring(prefix.length());
    }

    private static String refused(String schema) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> schema(schema), schema);
        String prefix = "Invalid \"schema\" for the schema validator: ";
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        return e.getMessage().substring(prefix.length());
    }

    @Test
    void shouldCheckPatternAndNameTheKeyword() {
        Validator v = schema("{\"properties\":{\"detector\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2,4}$\"}}}");
        assertValid(v, "{\"detector\":\"CMS\"}");
        assertValid(v, "{\"detector\":\"ATLS\"}");
        assertEquals("/detector: does not match the regex pattern ^[A-Z]{2,4}$ (keyword 'pattern')",
                violations(v, "{\"detector\":\"cms\"}"));
    }

    @Test
    void shouldRequireExactlyOneBranchOfOneOf() {
        Validator v = schema("{\"properties\":{\"run\":{\"oneOf\":[{\"type\":\"integer\",\"minimum\":1},"
                + "{\"type\":\"string\",\"pattern\":\"^run-[0-9]+$\"},{\"type\":\"number\",\"maximum\":0}]}}}");
        assertValid(v, "{\"run\":7}");
        assertValid(v, "{\"run\":\"run-42\"}");
        assertValid(v, "{\"run\":-0.5}");
        String none = violations(v, "{\"run\":\"42\"}");
        assertTrue(none.startsWith("/run: must be valid to one and only one schema, but 0 are valid (keyword 'oneOf')"),
                none);
        assertTrue(violations(v, "{\"run\":0.5}").startsWith("/run: must be valid to one and only one schema"));
        assertValid(schema("{\"oneOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}"), "{\"a\":1}");
        String both = violations(schema("{\"oneOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}"),
                "{\"a\":1,\"b\":2}");
        assertTrue(both.startsWith("(root): must be valid to one and only one schema, but 2 are valid"), both);
    }

    @Test
    void shouldFollowRefsIntoDefsRecursively() {
        Validator v = schema("{\"$defs\":{\"node\":{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{"
                + "\"name\":{\"type\":\"string\"},\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}"
                + "}}},\"$ref\":\"#/$defs/node\"}");
        assertValid(v, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":[{\"name\":\"c\"}]}]}");
        assertEquals("/children/0/children/0/name: expected string, got integer 1; /children/1/name: required field"
                + " is missing", violations(v, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":"
                + "[{\"name\":1}]},{}]}"));
    }

    @Test
    void shouldCheckDependentRequiredAndConditionals() {
        Validator v = schema("{\"dependentRequired\":{\"energy\":[\"unit\"]},"
                + "\"if\":{\"properties\":{\"kind\":{\"const\":\"calibration\"}},\"required\":[\"kind\"]},"
                + "\"then\":{\"required\":[\"reference\"]},\"else\":{\"required\":[\"run\"]}}");
        assertValid(v, "{\"run\":1,\"energy\":3,\"unit\":\"GeV\"}");
        assertValid(v, "{\"kind\":\"calibration\",\"reference\":\"r1\"}");
        assertEquals("(root): has a missing property 'unit' which is dependent required because 'energy' is present"
                + " (keyword 'dependentRequired')", violations(v, "{\"run\":1,\"energy\":3}"));
        assertEquals("/reference: required field is missing", violations(v, "{\"kind\":\"calibration\"}"));
        assertEquals("/run: required field is missing", violations(v, "{\"kind\":\"physics\"}"));
    }

    @Test
    void shouldAcceptASchemaForAdditionalProperties() {
        Validator v = schema("{\"properties\":{\"run\":{}},\"additionalProperties\":{\"type\":\"number\"}}");
        assertValid(v, "{\"run\":\"x\",\"e1\":1.5,\"e2\":3}");
        assertEquals("/e2: expected number, got string \"high\"", violations(v, "{\"run\":1,\"e2\":\"high\"}"));
    }

    @Test
    void shouldUseTheDraftThatSchemaNames() {
        // draft 4: 2.0 is not an integer, and exclusiveMinimum is a flag on minimum
        Validator draft4 = schema("{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"properties\":{"
                + "\"n\":{\"type\":\"integer\"},\"e\":{\"minimum\":0,\"exclusiveMinimum\":true}}}");
        assertEquals("/n: expected integer, got number 2.0", violations(draft4, "{\"n\":2.0}"));
        assertEquals("/e: 0 is not greater than the exclusive minimum 0", violations(draft4, "{\"e\":0}"));
        assertValid(schema("{\"properties\":{\"n\":{\"type\":\"integer\"}}}"), "{\"n\":2.0}");
        // format asserts under draft 7 and only annotates under 2020-12
        assertTrue(violations(schema("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"properties\":{"
                + "\"at\":{\"format\":\"date-time\"}}}"), "{\"at\":\"yesterday\"}").contains("(keyword 'format')"));
        assertValid(schema("{\"properties\":{\"at\":{\"format\":\"date-time\"}}}"), "{\"at\":\"yesterday\"}");
        // 2019-09 and draft 6 are known too
        assertValid(schema("{\"$schema\":\"https://json-schema.org/draft/2019-09/schema\",\"dependentRequired\":{}}"),
                "{}");
        assertTrue(violations(schema("{\"$schema\":\"http://json-schema.org/draft-06/schema#\",\"properties\":{"
                + "\"e\":{\"exclusiveMaximum\":1}}}"), "{\"e\":1}").contains("/e: 1 is not less than the exclusive"
                + " maximum 1"));
    }

    @Test
    void shouldRefuseAnUnsupportedDraft() {
        assertEquals("/$schema: string \"https://example.com/my-dialect\" is not a supported JSON Schema draft; use"
                + " one of https://json-schema.org/draft/2020-12/schema (the default),"
                + " https://json-schema.org/draft/2019-09/schema, http://json-schema.org/draft-07/schema#,"
                + " http://json-schema.org/draft-06/schema#, http://json-schema.org/draft-04/schema#, or leave $schema"
                + " out for 2020-12", refused("{\"$schema\":\"https://example.com/my-dialect\"}"));
        assertTrue(refused("{\"$schema\":7}").startsWith("/$schema: integer 7 is not a supported"));
    }

    @Test
    void shouldRefuseWhatTheMetaSchemaRejectsWithItsPointer() {
        assertTrue(refused("{\"properties\":{\"a\":{\"minimum\":\"1\"}}}")
                .contains("/properties/a/minimum: expected number, got string \"1\""));
        String type = refused("{\"properties\":{\"a\":{\"type\":\"int\"}}}");
        assertTrue(type.contains("/properties/a/type: value string \"int\" is not one of the allowed values"), type);
        assertTrue(refused("{\"oneOf\":[]}").startsWith("/oneOf: "));
        assertTrue(refused("{\"dependentRequired\":{\"a\":\"b\"}}").startsWith("/dependentRequired/a: "));
        assertTrue(refused("{\"$defs\":{\"a\":1}}").startsWith("/$defs/a: "));
    }

    @Test
    void shouldRefuseUnknownKeywordsInEveryBranch() {
        String msg = refused("{\"oneOf\":[{\"tpye\":\"string\"},{\"type\":\"integer\"}],"
                + "\"properties\":{\"a\":{\"$ref\":\"#/$defs/b\"}},\"$defs\":{\"b\":{\"minimun\":0}}}");
        assertTrue(msg.contains("/oneOf/0: unknown keyword 'tpye' (JSON Schema 2020-12 has no such keyword"), msg);
        assertTrue(msg.contains("/$defs/b: unknown keyword 'minimun'"), msg);
        // a draft-07 schema names its own draft, and that draft's keywords are not unknown
        assertTrue(refused("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"dependentRequired\":{}}")
                .contains("(root): unknown keyword 'dependentRequired' (JSON Schema draft-07 has no such keyword"));
        assertValid(schema("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"definitions\":{},"
                + "\"dependencies\":{\"a\":[\"b\"]},\"examples\":[{}],\"default\":{}}"), "{}");
    }

    @Test
    void shouldRefuseRefsThatLeaveTheSchemaWithoutFetchingThem() {
        String dangling = refused("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}");
        assertTrue(dangling.startsWith("(root): cannot be compiled: "), dangling);
        String remote = refused("{\"$ref\":\"https://example.com/schemas/run.json\"}");
        assertTrue(remote.startsWith("(root): cannot be compiled: ") && remote.contains("run.json")
                && remote.contains("nothing is fetched"), remote);
        // nor read from the class path: only the drafts' own meta-schemas are loaded
        String classpath = refused("{\"$ref\":\"classpath:draft/2020-12/schema\"}");
        assertTrue(classpath.contains("classpath:draft/2020-12/schema"), classpath);
    }

    @Test
    void shouldRefuseAnInvalidRegularExpression() {
        String msg = refused("{\"properties\":{\"a\":{\"pattern\":\"(unclosed\"}}}");
        assertTrue(msg.startsWith("(root): cannot be compiled: invalid regular expression \"(unclosed\": "), msg);
    }

    @Test
    void shouldWordMessagesInEnglishWhateverTheDefaultLocale() {
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.GERMANY);
        try {
            Validator v = schema("{\"properties\":{\"id\":{\"pattern\":\"^[0-9]+$\"}}}");
            assertEquals("/id: does not match the regex pattern ^[0-9]+$ (keyword 'pattern')",
                    violations(v, "{\"id\":\"x\"}"));
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void shouldValidateFromManyThreadsAtOnce() throws Exception {
        long seed = System.nanoTime();
        Validator v = schema("{\"type\":\"object\",\"required\":[\"run\"],\"properties\":{\"run\":{\"oneOf\":["
                + "{\"type\":\"integer\",\"minimum\":0},{\"type\":\"string\",\"pattern\":\"^r[0-9]+$\"}]}}}");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Random random = new Random(seed + t);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        int n = random.nextInt(1000) - 100;
                        boolean asText = random.nextBoolean();
                        String doc = asText ? "{\"run\":\"r" + n + "\"}" : "{\"run\":" + n + "}";
                        if (n >= 0) { // "r-5" misses the pattern, -5 the minimum
                            assertValid(v, doc);
                        } else {
                            assertTrue(violations(v, doc).startsWith("/run: "), "seed " + seed + ": " + doc);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
