package dev.diaspora.stream.internal.components;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.AbsoluteIri;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaContext;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.dialect.BasicDialectRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.Keyword;
import com.networknt.schema.keyword.KeywordValidator;
import dev.diaspora.stream.InvalidOptionException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the {@code "schema"} of the {@code schema} validator with json-schema-validator (networknt), refusing
 * what would not check what its author meant: a schema that its draft's meta-schema rejects, an unknown keyword
 * anywhere in it (a typo such as {@code "requred"} would otherwise turn a check off in silence), a {@code $schema}
 * that is not one of the supported drafts, and a {@code $ref} that leaves the schema (nothing is ever fetched).
 *
 * <p>Drafts: 2020-12 (the default, when there is no {@code $schema}), 2019-09, 7, 6 and 4, chosen by
 * {@code $schema}. {@code format} asserts under drafts 4 to 7 and only annotates under 2019-09 and 2020-12, as those
 * drafts say; {@code pattern} uses {@link java.util.regex}. Messages are English whatever the default locale.
 * Not API.
 *
 * <p>Thread safety: thread-safe. The compiled {@link Schema} is immutable once its validators are loaded, which
 * {@link #compile} does, and may be used by any number of threads.
 */
final class SchemaCompiler {
    private static final List<Dialect> DRAFTS = List.of(Dialects.getDraft202012(), Dialects.getDraft201909(),
            Dialects.getDraft7(), Dialects.getDraft6(), Dialects.getDraft4());
    private static final String SUPPORTED = "https://json-schema.org/draft/2020-12/schema (the default), "
            + "https://json-schema.org/draft/2019-09/schema, http://json-schema.org/draft-07/schema#, "
            + "http://json-schema.org/draft-06/schema#, http://json-schema.org/draft-04/schema#";

    /** The schema locations of the unknown keywords met while this thread compiles a schema; null otherwise. */
    private static final ThreadLocal<List<SchemaLocation>> UNKNOWN_KEYWORDS = new ThreadLocal<>();

    private static final SchemaRegistry REGISTRY = registry();

    private SchemaCompiler() {
    }

    /**
     * Checks and compiles a schema, reporting every problem found at once.
     *
     * @param schema a JSON object (the caller checks that)
     * @return the compiled schema, with every validator loaded
     * @throws InvalidOptionException naming each problem with its JSON pointer in the schema
     */
    static Schema compile(JsonNode schema) {
        Dialect dialect = dialect(schema);
        List<String> problems = new ArrayList<>();
        Schema metaSchema = REGISTRY.getSchema(SchemaLocation.of(dialect.getId()));
        SchemaMessages.format(metaSchema.validate(schema), null, SchemaValidator.MAX_REPORTED, problems);
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
        List<SchemaLocation> unknown = new ArrayList<>();
        UNKNOWN_KEYWORDS.set(unknown);
        Schema compiled;
        try {
            compiled = REGISTRY.getSchema(schema);
            compiled.initializeValidators(); // resolves every $ref now, so that a dangling one fails here
        } catch (RuntimeException e) { // SchemaException, or what a keyword's constructor threw
            compiled = null;
            problems.add("(root): cannot be compiled: " + reason(e));
        } finally {
            UNKNOWN_KEYWORDS.remove();
        }
        Set<String> unknownProblems = new LinkedHashSet<>();
        for (SchemaLocation at : unknown) {
            String pointer = SchemaMessages.pointer(at.getFragment().getParent());
            String keyword = at.getFragment().getName(-1);
            unknownProblems.add(SchemaMessages.display(pointer) + ": unknown keyword '" + keyword + "' (JSON Schema "
                    + draftName(dialect) + " has no such keyword; unknown keywords are refused so that a typo cannot"
                    + " turn a check off)");
        }
        problems.addAll(unknownProblems);
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
        return compiled;
    }

    private static Dialect dialect(JsonNode schema) {
        JsonNode id = schema.get("$schema");
        if (id == null) {
            return REGISTRY.getDialect(Dialects.getDraft202012().getId());
        }
        if (id.isTextual()) {
            try {
                return REGISTRY.getDialect(id.textValue());
            } catch (SchemaException e) {
                // not one of the drafts below: the message says which are
            }
        }
        throw new InvalidOptionException("Invalid \"schema\" for the schema validator: /$schema: "
                + ComponentConfig.describe(id) + " is not a supported JSON Schema draft; use one of " + SUPPORTED
                + ", or leave $schema out for 2020-12");
    }

    private static String reason(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PatternSyntaxException) {
                PatternSyntaxException p = (PatternSyntaxException) t;
                return "invalid regular expression \"" + p.getPattern() + "\": " + p.getDescription()
                        + " (patterns are java.util.regex expressions)";
            }
        }
        return e.getMessage() + " (a $ref can point only into this schema, such as \"#/$defs/name\", and nothing is"
                + " fetched)";
    }

    private static InvalidOptionException invalid(List<String> problems) {
        return new InvalidOptionException("Invalid \"schema\" for the schema validator: "
                + String.join("; ", problems));
    }

    private static String draftName(Dialect dialect) {
        SpecificationVersion version = dialect.getSpecificationVersion();
        switch (version) {
            case DRAFT_4:
                return "draft-04";
            case DRAFT_6:
                return "draft-06";
            case DRAFT_7:
                return "draft-07";
            case DRAFT_2019_09:
                return "2019-09";
            default:
                return "2020-12";
        }
    }

    private static boolean isMetaSchema(AbsoluteIri iri) {
        String s = iri == null ? "" : iri.toString();
        return s.startsWith("https://json-schema.org/") || s.startsWith("http://json-schema.org/");
    }

    private static SchemaRegistry registry() {
        List<Dialect> dialects = new ArrayList<>(DRAFTS.size());
        for (Dialect draft : DRAFTS) {
            dialects.add(Dialect.builder(draft).unknownKeywordFactory((name, context) -> new UnknownKeyword(name))
                    .build());
        }
        SchemaRegistryConfig config = SchemaRegistryConfig.builder()
                // the root bundle of the library's messages is English; the default locale would pick a translation
                .locale(Locale.ROOT)
                .build();
        return SchemaRegistry.builder()
                .defaultDialectId(Dialects.getDraft202012().getId())
                .dialectRegistry(new BasicDialectRegistry(dialects))
                .schemaRegistryConfig(config)
                // the drafts' meta-schemas come from the library's jar; nothing else is loaded, so nothing is fetched
                .schemaLoader(loader -> loader.allow(SchemaCompiler::isMetaSchema))
                .build();
    }

    /** A keyword the draft does not define: recorded while a schema compiles, so that it can be refused. */
    private static final class UnknownKeyword implements Keyword {
        private final String name;

        UnknownKeyword(String name) {
            this.name = name;
        }

        @Override
        public String getValue() {
            return name;
        }

        @Override
        public KeywordValidator newValidator(SchemaLocation at, JsonNode value, Schema parent, SchemaContext context) {
            List<SchemaLocation> unknown = UNKNOWN_KEYWORDS.get();
            if (unknown != null && !isMetaSchema(at.getAbsoluteIri())) {
                unknown.add(at);
            }
            return null; // no check
        }
    }
}
