package io.github.dl4jsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.dl4jsn.conf.SpectralNormalization;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Corrupt and mismatched model files and parameter vectors. Each case shows first what DL4J's
 * {@code ModelSerializer} (or {@code setParams}) does with it, then that {@link SpectralNormModels}
 * rejects it with a message naming the file and the layer, parameter or value, before any network
 * exists (or, for {@code setParams}, with the network unchanged). The models are copies of the
 * golden files, edited as a user or a broken copy would.
 */
class CorruptModelFilesTest {

  @TempDir Path dir;

  static final ObjectMapper JSON = new ObjectMapper();

  static Path golden(String name) {
    try {
      return Paths.get(CorruptModelFilesTest.class.getResource("/golden/v1/" + name + ".zip")
          .toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // A truncated zip

  @Test
  void modelSerializerReportsATruncatedZipWithoutNamingTheFile() throws IOException {
    File half = truncated("mln-feedforward", 0.5);
    Throwable e = catchThrowable(() -> ModelSerializer.restoreMultiLayerNetwork(half, true));
    assertThat(e).hasMessageContaining("Unexpected end of ZLIB input stream");
    assertThat(e.getMessage()).doesNotContain(half.getName());
    File stub = truncated("mln-feedforward", 0.001);
    assertThat(catchThrowable(() -> ModelSerializer.restoreMultiLayerNetwork(stub, true)))
        .hasMessageContaining("Model wasnt found within file");
  }

  @Test
  void aTruncatedZipIsRejectedNamingTheFile() throws IOException {
    for (double keep : new double[] {0.001, 0.5, 0.99}) {
      File cut = truncated("mln-feedforward", keep);
      assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(cut, true))
          .as("kept " + keep)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(cut.getPath())
          .hasMessageContaining("not a complete zip file (truncated or corrupt");
    }
  }

  @Test
  void aZipWithoutTheModelEntriesIsNotAModel() throws IOException {
    File noParams = edited("mln-feedforward", e -> e.remove(ModelSerializer.COEFFICIENTS_BIN));
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(noParams, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(noParams.getPath())
        .hasMessageContaining("the zip has no coefficients.bin");
  }

  // -----------------------------------------------------------------------------------------------
  // Parameters of the wrong length

  @Test
  void coefficientsFromAnotherModelAreRejectedListingTheLayersAndTheirVectors() throws IOException {
    byte[] other = entries(golden("mln-recurrent")).get(ModelSerializer.COEFFICIENTS_BIN);
    File mixed = edited("mln-feedforward", e -> e.put(ModelSerializer.COEFFICIENTS_BIN, other));

    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(mixed, true))
        .as("DL4J: the lengths, but neither the file nor the entry")
        .hasMessageStartingWith("Invalid parameters: expected length");

    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(mixed, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(mixed.getPath() + ": coefficients.bin holds ")
        .hasMessageContaining("layer 0 'embedding' 34 (uW 6, vW 4)")
        .hasMessageContaining("layer 2 'denseSD'")
        .hasMessageContaining("Nothing was loaded");
  }

  @Test
  void setParamsOfTheWrongLengthHalfLoadsInDl4jAndChangesNothingThroughTheHelper()
      throws IOException {
    MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(
        golden("mln-conv2d").toFile(), false);
    INDArray before = net.params().dup();
    INDArray shorter = Nd4j.ones(DataType.FLOAT, 1, net.numParams() - 3);
    INDArray longer = Nd4j.ones(DataType.FLOAT, 1, net.numParams() + 3);

    MultiLayerNetwork dl4j = net.clone();
    assertThatThrownBy(() -> dl4j.setParams(shorter)).hasMessageContaining("out of range");
    assertThat(dl4j.params()).as("DL4J: the layers before the end were overwritten")
        .isNotEqualTo(before);
    MultiLayerNetwork silent = net.clone();
    silent.setParams(longer);
    assertThat(silent.params().reshape(net.numParams()))
        .as("DL4J: the leading part of a longer vector, silently")
        .isEqualTo(Nd4j.ones(DataType.FLOAT, net.numParams()));

    for (INDArray wrong : new INDArray[] {shorter, longer}) {
      assertThatThrownBy(() -> SpectralNormModels.setParams(net, wrong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the model has " + before.length() + " parameters, got a vector of "
              + wrong.length())
          .hasMessageContaining("layer 0 'conv'")
          .hasMessageContaining("(uW 3, vW 18)")
          .hasMessageContaining("the model was not changed");
      assertThat(net.params()).isEqualTo(before);
    }
    INDArray right = before.mul(0.5);
    SpectralNormModels.setParams(net, right);
    assertThat(net.params()).isEqualTo(right);

    MultiLayerNetwork wrapped = ModelSerializer.restoreMultiLayerNetwork(
        golden("mln-recurrent-wrappers").toFile(), false);
    assertThatThrownBy(() -> SpectralNormModels.setParams(wrapped, shorter))
        .hasMessageContaining("layer 0 'bidirectional' 202 (fuW 12, fvW 2, fuRW 12, fvRW 3, "
            + "buW 12, bvW 2, buRW 12, bvRW 3), layer 1 'last' 162 (uW 12, vW 6, uRW 12, vRW 3)");
  }

  @Test
  void uAndVOfAnotherLengthAfterAHandEditAreNamedWithTheirLayer() throws IOException {
    // The operator-norm input type sets the lengths of u and v: a 6x6 input edited to 7x7.
    File resized = editedJson("mln-conv2d-operator", root -> {
      ObjectNode input = (ObjectNode) layer(root, 0).get("operatorNormInputType");
      input.put("height", 7).put("width", 7);
    });
    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(resized, true))
        .hasMessageStartingWith("Invalid parameters: expected length");
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(resized, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(resized.getPath())
        .hasMessageContaining("layer 0 'conv' ")
        .hasMessageContaining("(uW 75, vW 98)")
        .hasMessageContaining("operator-norm input type");

    // normalize: [W] drops the recurrent weight's uRW and vRW.
    File fewer = editedJson("graph-recurrent",
        root -> ((ObjectNode) vertexLayer(root, "lstm")).putArray("normalize").add("W"));
    assertThatThrownBy(() -> SpectralNormModels.restoreComputationGraph(fewer, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(fewer.getPath())
        .hasMessageContaining("vertex 'lstm' ")
        .hasMessageContaining("(uW 12, vW 2)")
        .hasMessageContaining("normalize keys");
  }

  @Test
  void aNonFiniteVectorInAHandEditedFileIsRejected() throws IOException {
    MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(
        golden("mln-feedforward").toFile(), true);
    net.getLayer(1).getParam("uW").putScalar(0, Float.NaN);
    File file = dir.resolve("nan.zip").toFile();
    ModelSerializer.writeModel(net, file, true);

    MultiLayerNetwork dl4j = ModelSerializer.restoreMultiLayerNetwork(file, true);
    assertThat(dl4j.output(Nd4j.zeros(DataType.FLOAT, 1, 1)).isNaN().any())
        .as("DL4J loads it, and every output is NaN").isTrue();
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(file, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.getPath() + ": layer 'dense': uW holds non-finite values");
  }

  @Test
  void updaterStateFromAnotherModelIsRejectedUnlessSkipped() throws IOException {
    byte[] other = entries(golden("mln-conv2d")).get(ModelSerializer.UPDATER_BIN);
    File mixed = edited("mln-feedforward", e -> e.put(ModelSerializer.UPDATER_BIN, other));
    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(mixed, true))
        .hasMessage("Invalid input: view arrays differ in length. Expected length 176, got "
            + "length 380");
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(mixed, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(mixed.getPath() + ": updaterState.bin holds 380 values, but the "
            + "configuration's updaters need 176")
        .hasMessageContaining("loadUpdater = false");
    assertThat(SpectralNormModels.restoreMultiLayerNetwork(mixed, false).numParams())
        .isEqualTo(ModelSerializer.restoreMultiLayerNetwork(mixed, false).numParams());
  }

  // -----------------------------------------------------------------------------------------------
  // Options out of range, or misspelt, in hand-edited JSON

  @Test
  void optionsOutOfRangeAreRejectedNamingTheLayerAndTheValueByDl4jAndWithTheFileByTheHelper()
      throws IOException {
    File negative = editedJson("mln-feedforward",
        root -> ((ObjectNode) layer(root, 1)).put("powerIterations", -3));
    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(negative, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessage("layer 1 (SpectralNormalization(DenseLayer) 'dense'): powerIterations must be "
            + ">= 0 (0 freezes u and v), got -3");
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(negative, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageStartingWith(negative.getPath() + ", layer 1 'dense'")
        .hasMessageEndingWith("powerIterations must be >= 0 (0 freezes u and v), got -3");

    File zero = editedJson("mln-recurrent-wrappers", root -> ((ObjectNode) layer(root, 0)
        .get("bwd").get("spectralNormalization")).put("coefficient", 0));
    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(zero, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("coefficient (the target Lipschitz constant) must be > 0 and "
            + "finite, got 0.0");
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(zero, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageStartingWith(zero.getPath() + ", layer 0 'bidirectional' (backward)")
        .hasMessageContaining("got 0.0");

    File sameDiff = editedJson("graph-samediff",
        root -> ((ObjectNode) vertexLayer(root, "attention")).put("eps", -1e-12));
    assertThatThrownBy(() -> SpectralNormModels.restoreComputationGraph(sameDiff, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageStartingWith(sameDiff.getPath() + ", vertex 'attention'")
        .hasMessageContaining("eps must be > 0 and finite, got -1.0E-12");
  }

  @Test
  void theHandWrittenSameDiffLayerNowValidatesItsOptionsWhenBuilt() throws IOException {
    // Until this check, SpectralNormDenseSD took powerIterations -3 and coefficient 0 silently.
    File negative = editedJson("mln-feedforward",
        root -> ((ObjectNode) layer(root, 2)).put("coefficient", 0));
    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(negative, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessage("layer 2 (SpectralNormDenseSD 'denseSD'): coefficient (the target Lipschitz "
            + "constant) must be > 0 and finite, got 0.0");
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(negative, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageStartingWith(negative.getPath() + ", layer 2 'denseSD'")
        .hasMessageContaining("got 0.0");
  }

  @Test
  void aMisspeltOptionIsIgnoredByDl4jAndNamedByTheHelper() throws IOException {
    File misspelt = editedJson("mln-feedforward", root -> {
      ObjectNode sn = (ObjectNode) layer(root, 0);
      sn.set("powerIteration", sn.remove("powerIterations"));
    });
    MultiLayerNetwork dl4j = ModelSerializer.restoreMultiLayerNetwork(misspelt, true);
    SpectralNormalization sn = (SpectralNormalization) dl4j.getLayerWiseConfigurations()
        .getConf(0).getLayer();
    assertThat(sn.getPowerIterations()).as("DL4J: the saved 2 silently became the default")
        .isEqualTo(SpectralNormalization.DEFAULT_POWER_ITERATIONS);
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(misspelt, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining(misspelt.getPath() + ": configuration.json gives "
            + "SpectralNormalization (at $.confs[0].layer) the unknown property 'powerIteration'")
        .hasMessageContaining("powerIterations");
  }

  // -----------------------------------------------------------------------------------------------
  // A class missing from the classpath (dl4j-sn-core absent, or a renamed class)

  @Test
  void aMissingClassIsBlamedOnALegacyFormatByDl4jAndNamedByTheHelper() throws IOException {
    File mln = renamedClass("mln-recurrent-wrappers");
    assertThatThrownBy(() -> ModelSerializer.restoreMultiLayerNetwork(mln, true))
        .hasMessageStartingWith("Error deserializing MultiLayerConfiguration - configuration may "
            + "have a custom layer, vertex or preprocessor, in pre version 1.0.0-beta JSON format")
        .hasMessageNotContaining("io.github.dl4jsn");
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(mln, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageStartingWith(mln.getPath() + ": configuration.json uses class "
            + "io.github.dl4jsn.conf.RecurrentSpectralNorm (at $.confs[0].layer.bwd), which is "
            + "not on the classpath: add io.github.dl4jsn:dl4j-sn-core");

    File graph = renamedClass("graph-recurrent-wrappers");
    assertThatThrownBy(() -> ModelSerializer.restoreComputationGraph(graph, true))
        .hasMessage("Error deserializing JSON ComputationGraphConfiguration. Saved model JSON is "
            + "not a valid ComputationGraphConfiguration");
    assertThatThrownBy(() -> SpectralNormModels.restoreComputationGraph(graph, true))
        .isInstanceOf(DL4JInvalidConfigException.class)
        .hasMessageContaining("io.github.dl4jsn.conf.RecurrentSpectralNorm (at "
            + "$.vertices.bidirectional.layerConf.layer.bwd)");
  }

  /** A golden model whose JSON names RecurrentSpectralNormalization by a class that is absent. */
  File renamedClass(String name) throws IOException {
    return edited(name, e -> e.put(ModelSerializer.CONFIGURATION_JSON,
        new String(e.get(ModelSerializer.CONFIGURATION_JSON), StandardCharsets.UTF_8)
            .replace("io.github.dl4jsn.conf.RecurrentSpectralNormalization",
                "io.github.dl4jsn.conf.RecurrentSpectralNorm")
            .getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aNetworkOfTheOtherKindIsNamed() {
    File graph = golden("graph-feedforward").toFile();
    assertThatThrownBy(() -> SpectralNormModels.restoreMultiLayerNetwork(graph, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(graph.getPath() + ": the file holds a ComputationGraph; restore it with "
            + "restoreComputationGraph");
    File mln = golden("mln-feedforward").toFile();
    assertThatThrownBy(() -> SpectralNormModels.restoreComputationGraph(mln, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("restoreMultiLayerNetwork");
  }

  // -----------------------------------------------------------------------------------------------
  // Editing copies of the golden files

  File truncated(String name, double keep) throws IOException {
    byte[] all = Files.readAllBytes(golden(name));
    File f = dir.resolve(name + "-" + keep + ".zip").toFile();
    Files.write(f.toPath(), Arrays.copyOf(all, Math.max(1, (int) (all.length * keep))));
    return f;
  }

  static Map<String, byte[]> entries(Path zip) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipFile z = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> e = z.entries();
      while (e.hasMoreElements()) {
        ZipEntry entry = e.nextElement();
        try (InputStream in = z.getInputStream(entry)) {
          out.put(entry.getName(), in.readAllBytes());
        }
      }
    }
    return out;
  }

  /** A copy of a golden zip with its entries edited. */
  File edited(String name, Consumer<Map<String, byte[]>> edit) throws IOException {
    Map<String, byte[]> e = entries(golden(name));
    edit.accept(e);
    File f = dir.resolve(name + "-edited.zip").toFile();
    try (OutputStream out = Files.newOutputStream(f.toPath());
        ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> x : e.entrySet()) {
        zip.putNextEntry(new ZipEntry(x.getKey()));
        zip.write(x.getValue());
        zip.closeEntry();
      }
    }
    return f;
  }

  /** A copy of a golden zip with its configuration.json edited as a JSON tree. */
  File editedJson(String name, Consumer<JsonNode> edit) throws IOException {
    return edited(name, e -> {
      try {
        JsonNode root = JSON.readTree(e.get(ModelSerializer.CONFIGURATION_JSON));
        edit.accept(root);
        e.put(ModelSerializer.CONFIGURATION_JSON,
            JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      } catch (IOException ex) {
        throw new IllegalStateException(ex);
      }
    });
  }

  static JsonNode layer(JsonNode root, int index) {
    return root.get("confs").get(index).get("layer");
  }

  static JsonNode vertexLayer(JsonNode root, String vertex) {
    return root.get("vertices").get(vertex).get("layerConf").get("layer");
  }
}
