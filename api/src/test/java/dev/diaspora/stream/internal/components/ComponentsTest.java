package dev.diaspora.stream.internal.components;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.ComponentNotFoundException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.spi.ValidatorProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComponentsTest {
    private static final String ENERGY_VALIDATOR = TestComponents.EnergyValidator.class.getName();

    private static Metadata md(String json) {
        return Metadata.of(json);
    }

    private static Validator validator(String json) {
        return Components.validator(md(json), null);
    }

    private static PartitionSelector selector(String json) {
        return Components.selector(md(json), null);
    }

    private static List<PartitionInfo> partitions(int n) {
        List<PartitionInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PartitionInfo(i, Metadata.EMPTY));
        }
        return out;
    }

    private static void assertValid(Validator v, String metadata) {
        assertDoesNotThrow(() -> v.validate(md(metadata), DataView.EMPTY), metadata);
    }

    private static String violations(Validator v, String metadata) {
        ValidationException e = assertThrows(ValidationException.class, () -> v.validate(md(metadata), DataView.EMPTY),
                metadata);
        return e.getMessage();
    }

    @Nested
    class Resolution {
        @Test
        void shouldReturnTheDefaultsForTypeDefault() {
            assertSame(Components.defaultValidator(), validator("{\"type\":\"default\"}"));
            assertSame(Components.defaultSerializer(), Components.serializer(md("{\"type\":\"default\"}"), null));
            assertInstanceOf(RoundRobinSelector.class, selector("{\"type\":\"default\"}"));
        }

        @Test
        void shouldReturnTheDefaultsWhenTypeIsMissing() {
            assertSame(Components.defaultValidator(), validator("{}"));
            assertSame(Components.defaultSerializer(), Components.serializer(md("{}"), null));
            assertInstanceOf(RoundRobinSelector.class, selector("{}"));
            assertSame(Components.defaultValidator(), Validator.fromConfig(Metadata.EMPTY));
        }

        @Test
        void shouldMakeANewDefaultSelectorEachTime() {
            assertNotSame(Components.defaultSelector(), Components.defaultSelector());
            assertNotSame(selector("{}"), selector("{}"));
        }

        @Test
        void shouldRejectUnknownOptionsOfBuiltIns() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> validator("{\"type\":\"default\",\"shema\":{}}"));
            assertTrue(e.getMessage().contains("'shema'") && e.getMessage().contains("accepted: type"), e.getMessage());
            e = assertThrows(InvalidOptionException.class, () -> validator("{\"schema\":{}}"));
            assertTrue(e.getMessage().contains("did you forget \"type\"?"), e.getMessage());
            assertThrows(InvalidOptionException.class, () -> selector("{\"type\":\"hash\",\"field\":\"a\",\"x\":1}"));
        }

        @Test
        void shouldListAvailableProvidersWhenTypeIsUnknown() {
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> validator("{\"type\":\"x\"}"));
            assertTrue(e.getMessage().startsWith("No validator named 'x' found: not a registered provider (available: "
                    + "default, schema, test-energy), not a class on the class path. Add the jar that provides it, or"
                    + " use name:path/to/plugin.jar"), e.getMessage());
            e = assertThrows(ComponentNotFoundException.class, () -> selector("{\"type\":\"x\"}"));
            assertTrue(e.getMessage().startsWith("No partition selector named 'x' found: not a registered provider"
                    + " (available: default, hash)"), e.getMessage());
            e = assertThrows(ComponentNotFoundException.class,
                    () -> Components.serializer(md("{\"type\":\"x\"}"), null));
            assertTrue(e.getMessage().startsWith("No serializer named 'x' found: not a registered provider"
                    + " (available: default)"), e.getMessage());
        }

        @Test
        void shouldReportAMissingClassAsNotFound() {
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> validator("{\"type\":\"com.example.NoSuchValidator\"}"));
            assertTrue(e.getMessage().contains("'com.example.NoSuchValidator'"), e.getMessage());
        }

        @Test
        void shouldRejectAConfigurationThatIsNotAnObject() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> validator("[1,2]"));
            assertEquals("Cannot create validator from configuration: expected a JSON object, got array [1,2]",
                    e.getMessage());
            e = assertThrows(InvalidOptionException.class, () -> selector("\"hash\""));
            assertEquals("Cannot create partition selector from configuration: expected a JSON object, got string"
                    + " \"hash\"", e.getMessage());
        }

        @Test
        void shouldRejectAConfigurationThatIsNotJson() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> validator("{\"type\":"));
            assertTrue(e.getMessage().startsWith("Cannot create validator from configuration: Metadata is not valid"
                    + " JSON"), e.getMessage());
            assertInstanceOf(InvalidMetadataException.class, e.getCause());
        }

        @Test
        void shouldRejectATypeThatIsNotAString() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> validator("{\"type\":3}"));
            assertTrue(e.getMessage().contains("the \"type\" field must be a string"), e.getMessage());
            assertTrue(e.getMessage().contains("got integer 3"), e.getMessage());
            assertThrows(InvalidOptionException.class, () -> selector("{\"type\":null}"));
        }

        @Test
        void shouldRejectANullConfiguration() {
            assertThrows(NullPointerException.class, () -> Components.validator(null, null));
        }

        @Test
        void shouldFindAProviderRegisteredThroughServiceLoader() {
            Validator v = validator("{\"type\":\"test-energy\",\"energy_max\":10}");
            assertInstanceOf(TestComponents.EnergyValidator.class, v);
            assertValid(v, "{\"energy\":10}");
            assertTrue(violations(v, "{\"energy\":11}").contains("above energy_max 10"));
            // the provider gets the whole configuration, "type" included
            assertEquals("{\"type\":\"test-energy\",\"energy_max\":10}", v.config().toString());
        }

        @Test
        void shouldPreferTheMetadataConstructorOfAClass() {
            Validator v = validator("{\"type\":\"" + ENERGY_VALIDATOR + "\",\"energy_max\":5}");
            assertEquals(5, ((TestComponents.EnergyValidator) v).max());
        }

        @Test
        void shouldUseTheNoArgumentConstructorOfAClass() {
            String type = TestComponents.AcceptAllValidator.class.getName();
            Validator v = validator("{\"type\":\"" + type + "\"}");
            assertInstanceOf(TestComponents.AcceptAllValidator.class, v);
            PartitionSelector s = selector("{\"type\":\"" + TestComponents.FirstPartitionSelector.class.getName()
                    + "\"}");
            assertEquals(0, s.select(Metadata.EMPTY, -1, partitions(4)));
        }

        @Test
        void shouldCallAProviderNamedByItsClass() {
            Validator v = validator("{\"type\":\"" + TestComponents.EnergyProvider.class.getName()
                    + "\",\"energy_max\":7}");
            assertEquals(7, ((TestComponents.EnergyValidator) v).max());
        }

        @Test
        void shouldRejectAClassOfTheWrongKind() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> validator("{\"type\":\"java.lang.String\"}"));
            assertTrue(e.getMessage().contains("implements neither dev.diaspora.stream.Validator nor"
                    + " dev.diaspora.stream.spi.ValidatorProvider"), e.getMessage());
            assertThrows(InvalidOptionException.class,
                    () -> selector("{\"type\":\"" + ENERGY_VALIDATOR + "\"}"));
        }

        @Test
        void shouldRejectAClassWithoutAUsableConstructor() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> validator("{\"type\":\"" + TestComponents.NoUsableConstructorValidator.class.getName()
                            + "\"}"));
            assertTrue(e.getMessage().contains("public constructor taking (Metadata)"), e.getMessage());
        }

        @Test
        void shouldKeepTheTypeOfDiasporaExceptionsFromAConstructor() {
            String type = TestComponents.FailingValidator.class.getName();
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> validator("{\"type\":\"" + type + "\",\"fail\":\"diaspora\"}"));
            assertEquals("the detector calibration library is missing", e.getMessage());
        }

        @Test
        void shouldWrapOtherExceptionsFromAConstructor() {
            String type = TestComponents.FailingValidator.class.getName();
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> validator("{\"type\":\"" + type + "\"}"));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(e.getMessage().contains("'" + type + "'") && e.getMessage().contains("boom"), e.getMessage());
        }

        @Test
        void shouldRejectAnEmptyNameOrPathAroundTheColon() {
            assertThrows(InvalidOptionException.class, () -> validator("{\"type\":\":plugin.jar\"}"));
            assertThrows(InvalidOptionException.class, () -> validator("{\"type\":\"energy:\"}"));
        }
    }

    @Nested
    class PluginJarLoading {
        @TempDir
        Path dir;

        private Path pluginDir;
        private Path jar;

        private void buildJar() throws IOException {
            pluginDir = Files.createDirectories(dir.resolve("plugins"));
            jar = writePluginJar(pluginDir.resolve("energy-plugin.jar"));
        }

        private Path writePluginJar(Path target) throws IOException {
            Class<?> provider = TestComponents.PluginEnergyProvider.class;
            String entry = provider.getName().replace('.', '/') + ".class";
            byte[] bytes;
            try (InputStream in = provider.getClassLoader().getResourceAsStream(entry)) {
                assertTrue(in != null, "compiled test class " + entry + " not found");
                bytes = in.readAllBytes();
            }
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target))) {
                out.putNextEntry(new JarEntry(entry));
                out.write(bytes);
                out.closeEntry();
                out.putNextEntry(new JarEntry("META-INF/services/" + ValidatorProvider.class.getName()));
                out.write((provider.getName() + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            return target;
        }

        private Metadata config(String path) {
            return md("{\"type\":\"plugin-energy:" + path.replace("\\", "\\\\") + "\",\"energy_max\":3}");
        }

        @Test
        void shouldNotFindAPluginProviderWithoutItsJar() {
            assertThrows(ComponentNotFoundException.class, () -> validator("{\"type\":\"plugin-energy\"}"));
        }

        @Test
        void shouldLoadAnyJarNamedByUserCode() throws IOException {
            buildJar();
            Validator v = Components.validator(config(jar.toString()), null);
            assertEquals(3, ((TestComponents.EnergyValidator) v).max());
            assertTrue(violations(v, "{\"energy\":4}").contains("above energy_max 3"));
        }

        @Test
        void shouldLoadAJarInsidePluginPath() throws IOException {
            buildJar();
            Validator v = Components.validator(config(jar.toString()), List.of(dir.resolve("elsewhere"), pluginDir));
            assertEquals(3, ((TestComponents.EnergyValidator) v).max());
        }

        @Test
        void shouldResolveARelativeJarAgainstPluginPath() throws IOException {
            buildJar();
            Validator v = Components.validator(config("energy-plugin.jar"), List.of(pluginDir));
            assertEquals(3, ((TestComponents.EnergyValidator) v).max());
        }

        @Test
        void shouldRefuseAJarOutsidePluginPath() throws IOException {
            buildJar();
            Path other = Files.createDirectories(dir.resolve("other"));
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> Components.validator(config(jar.toString()), List.of(other)));
            assertTrue(e.getMessage().contains("not under the driver option plugin_path"), e.getMessage());
            assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(jar.toRealPath().toString()), e.getMessage());
            assertThrows(ComponentNotFoundException.class,
                    () -> Components.validator(config(jar.toString()), List.of()));
        }

        @Test
        void shouldRefuseADotDotPathOutOfPluginPath() throws IOException {
            buildJar();
            Path outside = writePluginJar(dir.resolve("outside.jar"));
            assertTrue(Files.exists(outside));
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> Components.validator(config("../outside.jar"), List.of(pluginDir)));
            assertTrue(e.getMessage().contains("plugin_path"), e.getMessage());
        }

        @Test
        void shouldRefuseASymbolicLinkOutOfPluginPath() throws IOException {
            buildJar();
            Path outside = writePluginJar(dir.resolve("outside.jar"));
            Path link = pluginDir.resolve("link.jar");
            try {
                Files.createSymbolicLink(link, outside);
            } catch (IOException | UnsupportedOperationException e) {
                assumeTrue(false, "cannot create symbolic links here: " + e);
            }
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> Components.validator(config(link.toString()), List.of(pluginDir)));
            assertTrue(e.getMessage().contains("plugin_path"), e.getMessage());
        }

        @Test
        void shouldReportAMissingJar() {
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> Components.validator(config(dir.resolve("nope.jar").toString()), null));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }

        @Test
        void shouldReportANameTheJarDoesNotProvide() throws IOException {
            buildJar();
            ComponentNotFoundException e = assertThrows(ComponentNotFoundException.class,
                    () -> validator("{\"type\":\"nope:" + jar.toString().replace("\\", "\\\\") + "\"}"));
            assertTrue(e.getMessage().contains("No validator 'nope' in plugin jar"), e.getMessage());
            assertTrue(e.getMessage().contains("plugin-energy"), e.getMessage());
        }
    }

    @Nested
    class SchemaValidation {
        private Validator schema(String schema) {
            return validator("{\"type\":\"schema\",\"schema\":" + schema + "}");
        }

        @Test
        void shouldReportEveryViolationAsAPointer() {
            Validator v = schema("{\"required\":[\"detector\"],\"properties\":{\"energy\":{\"type\":\"integer\"}}}");
            assertEquals("Metadata does not match the topic's schema: /energy: expected integer, got string \"high\";"
                    + " /detector: required field is missing", violations(v, "{\"energy\":\"high\"}"));
            assertValid(v, "{\"energy\":3,\"detector\":\"CMS\"}");
        }

        @Test
        void shouldCheckEachTypeName() {
            String[][] cases = {
                {"object", "{}", "[]"},
                {"array", "[]", "{}"},
                {"string", "\"s\"", "1"},
                {"number", "1.5", "\"1.5\""},
                {"number", "2", "true"},
                {"integer", "2", "2.5"},
                {"integer", "2.0", "\"2\""},
                {"integer", "12345678901234567890", "null"},
                {"boolean", "false", "0"},
                {"null", "null", "false"},
            };
            for (String[] c : cases) {
                Validator v = schema("{\"properties\":{\"f\":{\"type\":\"" + c[0] + "\"}}}");
                assertValid(v, "{\"f\":" + c[1] + "}");
                String msg = violations(v, "{\"f\":" + c[2] + "}");
                assertTrue(msg.contains("/f: expected " + c[0] + ", got "), c[0] + ": " + msg);
            }
        }

        @Test
        void shouldAcceptAnyOfSeveralTypes() {
            Validator v = schema("{\"properties\":{\"f\":{\"type\":[\"string\",\"null\"]}}}");
            assertValid(v, "{\"f\":null}");
            assertValid(v, "{\"f\":\"x\"}");
            assertTrue(violations(v, "{\"f\":1}").contains("/f: expected string or null, got integer 1"));
        }

        @Test
        void shouldCheckTheTypeOfTheWholeDocument() {
            Validator v = schema("{\"type\":\"object\"}");
            assertEquals("Metadata does not match the topic's schema: (root): expected object, got array [1]",
                    violations(v, "[1]"));
        }

        @Test
        void shouldApplyPropertiesRecursively() {
            Validator v = schema("{\"properties\":{\"run\":{\"type\":\"object\",\"required\":[\"id\"],"
                    + "\"properties\":{\"id\":{\"type\":\"integer\"},\"a/b\":{\"type\":\"string\"}}}}}");
            assertValid(v, "{}");
            assertValid(v, "{\"run\":{\"id\":1}}");
            assertTrue(violations(v, "{\"run\":{}}").contains("/run/id: required field is missing"));
            assertTrue(violations(v, "{\"run\":{\"id\":true}}").contains("/run/id: expected integer, got boolean"));
            assertTrue(violations(v, "{\"run\":{\"id\":1,\"a/b\":2}}").contains("/run/a~1b: expected string"));
        }

        @Test
        void shouldCheckItems() {
            Validator v = schema("{\"properties\":{\"hits\":{\"type\":\"array\",\"items\":{\"type\":\"number\","
                    + "\"minimum\":0}}}}");
            assertValid(v, "{\"hits\":[0, 1.5, 3]}");
            String msg = violations(v, "{\"hits\":[1, \"x\", -2]}");
            assertEquals("Metadata does not match the topic's schema: /hits/1: expected number, got string \"x\";"
                    + " /hits/2: -2 is less than the minimum 0", msg);
        }

        @Test
        void shouldCheckEnumByJsonValue() {
            Validator v = schema("{\"properties\":{\"f\":{\"enum\":[\"a\", 1, {\"x\":1,\"y\":[true]}, null]}}}");
            assertValid(v, "{\"f\":\"a\"}");
            assertValid(v, "{\"f\":1.0}");
            assertValid(v, "{\"f\":{\"y\":[true],\"x\":1}}");
            assertValid(v, "{\"f\":null}");
            String msg = violations(v, "{\"f\":\"b\"}");
            assertTrue(msg.contains("/f: value string \"b\" is not one of the allowed values [\"a\", 1,"), msg);
            violations(v, "{\"f\":{\"x\":1}}");
        }

        @Test
        void shouldCheckMinimumAndMaximum() {
            Validator v = schema("{\"properties\":{\"e\":{\"minimum\":1.5,\"maximum\":10}}}");
            assertValid(v, "{\"e\":1.5}");
            assertValid(v, "{\"e\":10}");
            assertValid(v, "{\"e\":\"not a number: bounds do not apply\"}");
            assertTrue(violations(v, "{\"e\":1}").contains("/e: 1 is less than the minimum 1.5"));
            assertTrue(violations(v, "{\"e\":10.5}").contains("/e: 10.5 is greater than the maximum 10"));
        }

        @Test
        void shouldCheckStringLengthInCodePoints() {
            Validator v = schema("{\"properties\":{\"s\":{\"minLength\":2,\"maxLength\":3}}}");
            assertValid(v, "{\"s\":\"ab\"}");
            assertValid(v, "{\"s\":\"\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\"}"); // 3 code points, 6 chars
            assertTrue(violations(v, "{\"s\":\"a\"}").contains("/s: string of 1 characters is shorter than"
                    + " minLength 2"));
            assertTrue(violations(v, "{\"s\":\"abcd\"}").contains("longer than maxLength 3"));
        }

        @Test
        void shouldRejectAdditionalPropertiesWhenAsked() {
            Validator v = schema("{\"properties\":{\"a\":{},\"b\":{}},\"additionalProperties\":false}");
            assertValid(v, "{\"a\":1}");
            assertEquals("Metadata does not match the topic's schema: /c: field is not allowed by the schema"
                    + " (allowed: a, b)", violations(v, "{\"a\":1,\"c\":2}"));
            assertValid(schema("{\"additionalProperties\":true}"), "{\"c\":2}");
        }

        @Test
        void shouldReportAllViolationsTogether() {
            Validator v = schema("{\"type\":\"object\",\"required\":[\"a\",\"b\"],\"properties\":{"
                    + "\"n\":{\"type\":\"integer\",\"maximum\":5},\"s\":{\"type\":\"string\",\"minLength\":3},"
                    + "\"k\":{\"enum\":[\"x\"]}},\"additionalProperties\":false}");
            String msg = violations(v, "{\"n\":6,\"s\":\"ab\",\"k\":\"y\",\"z\":0}");
            String[] parts = msg.substring(msg.indexOf(": ") + 2).split("; ");
            assertEquals(6, parts.length, msg);
        }

        @Test
        void shouldCountViolationsBeyondTheReportedOnes() {
            Validator v = schema("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}");
            StringBuilder doc = new StringBuilder("[");
            for (int i = 0; i < SchemaValidator.MAX_REPORTED + 50; i++) {
                doc.append(i == 0 ? "" : ",").append(i);
            }
            String msg = violations(v, doc.append(']').toString());
            assertTrue(msg.endsWith("; and 50 more"), msg);
        }

        @Test
        void shouldLetInvalidJsonFailAsInvalidMetadata() {
            Validator v = schema("{\"type\":\"object\"}");
            InvalidMetadataException e = assertThrows(InvalidMetadataException.class,
                    () -> v.validate(md("{\"a\":"), DataView.EMPTY));
            assertFalse(e instanceof ValidationException, e.toString());
            assertTrue(e.getMessage().startsWith("Metadata is not valid JSON"), e.getMessage());
        }

        @Test
        void shouldRejectUnknownKeywordsWhereverTheyAre() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> schema("{\"requred\":[\"a\"],\"properties\":{\"a\":{\"tpye\":\"string\"}}}"));
            assertTrue(e.getMessage().startsWith("Invalid \"schema\" for the schema validator: "), e.getMessage());
            assertTrue(e.getMessage().contains("(root): unknown keyword 'requred'"), e.getMessage());
            assertTrue(e.getMessage().contains("/properties/a: unknown keyword 'tpye'"), e.getMessage());
            // annotations are not typos
            assertValid(schema("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"title\":\"t\","
                    + "\"description\":\"d\",\"$comment\":\"c\"}"), "{}");
        }

        @Test
        void shouldRejectMalformedKeywordValues() {
            String[] bad = {
                "{\"type\":\"int\"}",
                "{\"type\":[]}",
                "{\"required\":\"a\"}",
                "{\"required\":[1]}",
                "{\"properties\":[]}",
                "{\"properties\":{\"a\":1}}",
                "{\"items\":[{}]}",
                "{\"enum\":\"a\"}",
                "{\"minimum\":\"1\"}",
                "{\"maxLength\":-1}",
                "{\"minLength\":1.5}",
                "{\"additionalProperties\":1}",
            };
            for (String s : bad) {
                assertThrows(InvalidOptionException.class, () -> schema(s), s);
            }
        }

        @Test
        void shouldRequireASchemaObject() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> validator("{\"type\":\"schema\"}"));
            assertEquals("The schema validator needs a \"schema\" object in its configuration", e.getMessage());
            e = assertThrows(InvalidOptionException.class, () -> validator("{\"type\":\"schema\",\"schema\":[]}"));
            assertTrue(e.getMessage().contains("'schema'"), e.getMessage());
        }

        @Test
        void shouldMatchRandomDocumentsAgainstTheirOwnTypes() {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            String[] types = {"object", "array", "string", "number", "integer", "boolean", "null"};
            String[][] samples = {{"{}", "{\"a\":1}"}, {"[]", "[1,\"x\"]"}, {"\"\"", "\"abc\""},
                {"1.25", "-3e-2"}, {"0", "-7"}, {"true", "false"}, {"null", "null"}};
            for (int round = 0; round < 200; round++) {
                int expected = random.nextInt(types.length);
                int actual = random.nextInt(types.length);
                String value = samples[actual][random.nextInt(2)];
                Validator v = schema("{\"properties\":{\"f\":{\"type\":\"" + types[expected] + "\"}}}");
                boolean ok = expected == actual
                        || (types[expected].equals("number") && types[actual].equals("integer"));
                String doc = "{\"f\":" + value + "}";
                if (ok) {
                    assertDoesNotThrow(() -> v.validate(md(doc), DataView.EMPTY), "seed " + seed + ": " + doc);
                } else {
                    assertThrows(ValidationException.class, () -> v.validate(md(doc), DataView.EMPTY),
                            "seed " + seed + ": " + doc + " against " + types[expected]);
                }
            }
        }
    }

    @Nested
    class PartitionSelection {
        @Test
        void shouldRoundRobinAndKeepAnExplicitPartition() {
            PartitionSelector s = Components.defaultSelector();
            List<PartitionInfo> p = partitions(3);
            int[] got = {
                s.select(Metadata.EMPTY, -1, p),
                s.select(Metadata.EMPTY, 1, p),
                s.select(Metadata.EMPTY, -1, p),
                s.select(Metadata.EMPTY, -1, p),
                s.select(Metadata.EMPTY, -1, p),
            };
            assertEquals(List.of(0, 1, 1, 2, 0), List.of(got[0], got[1], got[2], got[3], got[4]));
        }

        @Test
        void shouldBalanceConcurrentCallers() throws Exception {
            PartitionSelector s = Components.defaultSelector();
            List<PartitionInfo> p = partitions(3);
            int threads = 8;
            int perThread = 30_000;
            AtomicIntegerArray counts = new AtomicIntegerArray(3);
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            counts.incrementAndGet(s.select(Metadata.EMPTY, -1, p));
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : done) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(threads * perThread / 3, counts.get(i), "partition " + i + ": " + counts);
            }
        }

        @Test
        void shouldComputeFnv1aTestVectors() {
            assertEquals(0x811c9dc5, HashSelector.fnv1a32(new byte[0]));
            assertEquals(0xe40c292c, HashSelector.fnv1a32("a".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0xbf9cf968, HashSelector.fnv1a32("foobar".getBytes(StandardCharsets.UTF_8)));
        }

        @Test
        void shouldHashAFieldToAFixedPartition() {
            PartitionSelector s = selector("{\"type\":\"hash\",\"field\":\"user\"}");
            // FNV-1a("alice") = 0x872213e7, unsigned mod 8 = 7; of the text "42" = 0x87e38583, mod 8 = 3
            assertEquals(7, s.select(md("{\"user\":\"alice\"}"), -1, partitions(8)));
            assertEquals(4, s.select(md("{\"user\":\"alice\"}"), -1, partitions(5)));
            assertEquals(3, s.select(md("{\"user\":42}"), -1, partitions(8)));
            // a non-string value hashes its compact JSON text: {"a":1} -> 0x8b9e4511, mod 8 = 1
            assertEquals(1, s.select(md("{\"user\": { \"a\" : 1 }}"), -1, partitions(8)));
        }

        @Test
        void shouldWalkADottedPath() {
            PartitionSelector s = selector("{\"type\":\"hash\",\"field\":\"run.detector\"}");
            // FNV-1a("CMS") = 0x8e6cf4da, mod 8 = 2
            assertEquals(2, s.select(md("{\"run\":{\"detector\":\"CMS\"}}"), -1, partitions(8)));
            assertEquals(0, s.select(md("{\"run\":\"CMS\"}"), -1, partitions(8))); // absent: round robin
        }

        @Test
        void shouldSendEqualKeysToOnePartition() {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            PartitionSelector first = selector("{\"type\":\"hash\",\"field\":\"k\"}");
            PartitionSelector second = selector("{\"type\":\"hash\",\"field\":\"k\"}");
            List<PartitionInfo> p = partitions(7);
            Map<String, Integer> seen = new HashMap<>();
            int[] counts = new int[7];
            for (int i = 0; i < 5000; i++) {
                String key = "key-" + random.nextInt(500);
                Metadata m = md("{\"k\":\"" + key + "\",\"n\":" + i + "}");
                int a = first.select(m, -1, p);
                int b = second.select(m, -1, p);
                assertEquals(a, b, "seed " + seed + ": two selectors disagree on " + key);
                Integer before = seen.putIfAbsent(key, a);
                assertTrue(before == null || before == a, "seed " + seed + ": " + key + " moved partition");
                counts[a]++;
            }
            for (int i = 0; i < 7; i++) {
                assertTrue(counts[i] > 0, "seed " + seed + ": partition " + i + " never chosen");
            }
        }

        @Test
        void shouldRoundRobinEventsWithoutTheField() {
            PartitionSelector s = selector("{\"type\":\"hash\",\"field\":\"k\"}");
            List<PartitionInfo> p = partitions(3);
            assertEquals(0, s.select(md("{}"), -1, p));
            assertEquals(2, s.select(md("{\"k\":\"alice\"}"), 2, p)); // explicit: kept, counter not advanced
            assertEquals(1, s.select(md("{\"other\":1}"), -1, p));
            assertEquals(2, s.select(md("[1]"), -1, p));
            assertEquals(0, s.select(md("\"k\""), -1, p));
        }

        @Test
        void shouldValidateTheHashField() {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> selector("{\"type\":\"hash\"}"));
            assertTrue(e.getMessage().startsWith("The hash partition selector needs a \"field\" string"),
                    e.getMessage());
            assertThrows(InvalidOptionException.class, () -> selector("{\"type\":\"hash\",\"field\":1}"));
            assertThrows(InvalidOptionException.class, () -> selector("{\"type\":\"hash\",\"field\":\"\"}"));
            assertThrows(InvalidOptionException.class, () -> selector("{\"type\":\"hash\",\"field\":\"a..b\"}"));
        }
    }

    @Nested
    class Serialization {
        @Test
        void shouldStoreTheTextVerbatimWithoutCopying() {
            Serializer s = Components.defaultSerializer();
            Metadata m = md("{\"energy\": 3}");
            ByteBuffer stored = s.serialize(m);
            assertTrue(stored.isReadOnly());
            byte[] bytes = new byte[stored.remaining()];
            stored.duplicate().get(bytes);
            assertEquals("{\"energy\": 3}", new String(bytes, StandardCharsets.UTF_8));
            assertEquals(m, s.deserialize(stored));
        }

        @Test
        void shouldWrapTheStoredBytes() {
            byte[] batch = "xx{\"a\":1}yy".getBytes(StandardCharsets.UTF_8);
            ByteBuffer stored = ByteBuffer.wrap(batch, 2, 7);
            Metadata m = Components.defaultSerializer().deserialize(stored);
            assertEquals("{\"a\":1}", m.toString());
            assertEquals(2, stored.position(), "position unchanged");
            batch[7] = '2';
            assertEquals("{\"a\":2}", m.toString(), "wraps, does not copy");
        }
    }

    @Nested
    class ConfigRoundTrip {
        @Test
        void shouldRebuildEveryBuiltInFromItsConfig() {
            List<Validator> validators = List.of(Components.defaultValidator(),
                    validator("{\"type\":\"schema\",\"schema\":{\"type\":\"object\",\"required\":[\"a\"],"
                            + "\"properties\":{\"a\":{\"enum\":[1,\"x\"]}}}}"));
            for (Validator v : validators) {
                assertTrue(v.config().json().has("type"), v.toString());
                assertEquals(v.config(), Validator.fromConfig(v.config()).config(), v.toString());
            }
            List<PartitionSelector> selectors = List.of(Components.defaultSelector(),
                    selector("{\"type\":\"hash\",\"field\":\"run.detector\"}"));
            for (PartitionSelector s : selectors) {
                assertTrue(s.config().json().has("type"), s.toString());
                assertEquals(s.config(), PartitionSelector.fromConfig(s.config()).config(), s.toString());
                assertEquals(s.getClass(), PartitionSelector.fromConfig(s.config()).getClass());
            }
            Serializer serializer = Components.defaultSerializer();
            assertEquals(serializer.config(), Serializer.fromConfig(serializer.config()).config());
            assertEquals("{\"type\":\"default\"}", serializer.config().toString());
            assertEquals("{\"type\":\"default\"}", Components.defaultSelector().config().toString());
            assertEquals("{\"type\":\"default\"}", Components.defaultValidator().config().toString());
            assertEquals("{\"type\":\"hash\",\"field\":\"run.detector\"}", selectors.get(1).config().toString());
        }

        @Test
        void shouldKeepTheSchemaAsGiven() {
            Validator v = validator("{ \"type\" : \"schema\", \"schema\" : {\"required\": [\"b\", \"a\"]} }");
            assertEquals("{\"type\":\"schema\",\"schema\":{\"required\":[\"b\",\"a\"]}}", v.config().toString());
        }
    }
}
