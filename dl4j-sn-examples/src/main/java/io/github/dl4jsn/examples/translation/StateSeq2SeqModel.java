package io.github.dl4jsn.examples.translation;

import io.github.dl4jsn.inspect.SingularValues;
import io.github.dl4jsn.math.SpectralNormCore;
import io.github.dl4jsn.samediff.SDSpectralNorm;
import io.github.dl4jsn.samediff.SDSpectralNormListener;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The encoder-decoder of Sutskever et al. (2014) with the paper's state hand-over (architecture
 * {@code state}), in SameDiff: L encoder LSTM layers read the source, and decoder LSTM layer l
 * starts from encoder layer l's final (h, c); nothing else of the encoder reaches the decoder.
 *
 * <pre>
 * source (reversed, &lt;eos&gt;) -&gt; srcEmbed -&gt; enc0 ... enc{L-1}
 *                                     | (h, c) of layer l after the last real token
 * targetIn (&lt;eos&gt;, words) -&gt; tgtEmbed -&gt; dec0 ... dec{L-1} -&gt; out -&gt; log-softmax
 * </pre>
 *
 * <p><b>Why SameDiff, and why LSTMs from primitives.</b> DL4J's native LSTM ({@code
 * LSTMHelpers}) accepts an initial state ({@code rnnSetPreviousState}) but its backward pass
 * returns no gradient for it, so a graph cannot train through the hand-over. SameDiff's fused
 * {@code sd.rnn().lstmLayer} takes initial states, but in ND4J 1.0.0-M2.1 its gradients disagree
 * with finite differences (relative errors near 1 for x, W, RW, b, h0 and c0 in a DOUBLE check),
 * and with sequence lengths it returns no gradient for the initial h at all. So each LSTM cell is
 * written with SameDiff primitives (matmul, split, sigmoid, tanh), unrolled over the padded time
 * steps; {@code StateSeq2SeqModelTest} checks every gradient against finite differences.
 *
 * <p><b>Embeddings outside the graph.</b> SameDiff M2.1's {@code gather} gradient is wrong when
 * an index repeats (absolute error 2.4 in a DOUBLE check) and a graph with two gathers cannot be
 * differentiated at all; {@code gatherNd} and {@code embeddingLookup} have no gradient. So the
 * embedding rows are looked up here (time-major {@code srcX} [Ts, b, E], {@code tgtX} [Tt, b,
 * E]) and given to the graph as variables; their gradients come back from SameDiff and are added
 * into the embedding gradients row by row.
 *
 * <p><b>Cell</b> (gate blocks in PyTorch's order i, f, g, o): {@code z = x W + h RW + b}, W
 * [nIn, 4H], RW [H, 4H], b [4H]; {@code i, f, o = sigmoid(z_i, z_f, z_o)}, {@code g = tanh(z_g)},
 * {@code c' = f c + i g}, {@code h' = o tanh(c')}. Encoder layers start from zero state.
 *
 * <p><b>Masking.</b> Sources are right-padded, so an encoder state at a real token never depends
 * on padding; the state handed over is each layer's (h, c) after each sentence's last real token,
 * picked out of the stacked states by a one-hot weight over time ({@code sum_t last_t (h_t,
 * c_t)}: exact, and fewer SameDiff ops than carrying the state through padded steps with a mask
 * at every step). The loss sums {@code -log p(target)} over the unpadded target steps (padded
 * steps are multiplied by the target mask), averaged over the sentences.
 *
 * <p><b>Shapes and graphs.</b> SameDiff graphs here have a fixed number of time steps, so the
 * model keeps one training graph per (source, target) length rounded up to a multiple of {@value
 * #BUCKET} (an LRU cache), one encoder graph per source length, and one decoder step graph. All
 * graphs hold the same parameter arrays (and SN vectors), which training updates in place.
 *
 * <p><b>Spectral normalization</b> ({@code sn}): W and RW of every encoder and decoder LSTM
 * (and with {@code snOutput} the output weight) are replaced by {@code W / sigma(W)} with {@link
 * SDSpectralNorm}: each whole matrix, M = W<sup>T</sup> [4H, nIn] and RW<sup>T</sup> [4H, H], as
 * the core's {@code SpectralNormalization.wrap(lstm)} does for DL4J LSTMs (not per gate block;
 * each gate block then has sigma &le; 1). The power iteration runs once per update, before the
 * forward pass, with the core's {@link SDSpectralNormListener}; inference uses the stored
 * vectors. Embeddings and biases are not normalized. Miyato et al. 2018, arXiv:1802.05957.
 *
 * <p><b>Training</b> is this class's own loop, because SameDiff's {@code fit} has no gradient
 * clipping. The gradients come from {@link StateBackprop} (engine {@code DIRECT}, the default:
 * backpropagation through time with ND4J operations, each update in one reused workspace) or from
 * the training graph ({@code SAMEDIFF}, {@code calculateGradients}); the two agree to 1e-10 in
 * DOUBLE, and decoding uses the SameDiff graphs either way. The gradients of
 * all parameters are rescaled together when their global L2 norm exceeds {@code clip} (the
 * paper's rule), then the updater (Adam, or SGD with the paper's halving schedule) is applied per
 * parameter with ND4J's own updater implementations. Weights start uniform in [-0.08, 0.08],
 * biases at 0 except the forget gates' at 1 (as DL4J's LSTM).
 */
public final class StateSeq2SeqModel implements Seq2Seq {

  /** The architecture name. */
  public static final String ARCHITECTURE = "state";

  /** Time steps are rounded up to a multiple of this, to share graphs between lengths. */
  public static final int BUCKET = 4;

  /** Training graphs kept (least recently used dropped); each holds about 2 MB of Java heap. */
  static final int MAX_TRAIN_GRAPHS = 64;

  private static final String CONFIG_ENTRY = "state-seq2seq.json";

  /** The workspace of a direct-engine update (as DL4J's layer working memory). */
  private static final WorkspaceConfiguration FIT_WORKSPACE = WorkspaceConfiguration.builder()
      .initialSize(0).overallocationLimit(0.05).policyLearning(LearningPolicy.OVER_TIME)
      .policyReset(ResetPolicy.BLOCK_LEFT).policySpill(SpillPolicy.REALLOCATE)
      .policyAllocation(AllocationPolicy.OVERALLOCATE).build();

  private static final String FIT_WORKSPACE_ID = "StateSeq2SeqModel-fit";

  /**
   * The model's shape and training settings.
   *
   * @param srcVocab source vocabulary size
   * @param tgtVocab target vocabulary size
   * @param embedding embedding size
   * @param hidden LSTM cells per layer (the same in encoder and decoder)
   * @param layers LSTM layers in the encoder and in the decoder
   * @param sn spectral normalization of the LSTMs' W and RW
   * @param snOutput spectral normalization of the output weight
   * @param optimizer Adam or SGD with the halving schedule
   * @param lr learning rate
   * @param itersPerEpoch minibatches per epoch, for the SGD schedule
   * @param halveAfter epochs at the full SGD learning rate
   * @param halveEvery epochs between SGD halvings
   * @param clip global gradient L2 norm limit
   * @param seed initialization seed
   * @param dataType FLOAT for training, DOUBLE for gradient checks
   * @param dropout inverted dropout rate in training, on the embedded words, between stacked
   *     LSTM layers and on the top decoder output (never on the handed-over state); 0: none,
   *     as in the paper
   */
  public record Config(int srcVocab, int tgtVocab, int embedding, int hidden, int layers,
      boolean sn, boolean snOutput, Seq2SeqModel.Optimizer optimizer, double lr,
      int itersPerEpoch, double halveAfter, double halveEvery, double clip, long seed,
      DataType dataType, double dropout) {

    /** Checks the dropout rate. */
    public Config {
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException("StateSeq2SeqModel: dropout must be in [0, 1), got "
            + dropout);
      }
    }

    /** Without dropout. */
    public Config(int srcVocab, int tgtVocab, int embedding, int hidden, int layers,
        boolean sn, boolean snOutput, Seq2SeqModel.Optimizer optimizer, double lr,
        int itersPerEpoch, double halveAfter, double halveEvery, double clip, long seed,
        DataType dataType) {
      this(srcVocab, tgtVocab, embedding, hidden, layers, sn, snOutput, optimizer, lr,
          itersPerEpoch, halveAfter, halveEvery, clip, seed, dataType, 0);
    }

    Map<String, String> toMap() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("srcVocab", Integer.toString(srcVocab));
      m.put("tgtVocab", Integer.toString(tgtVocab));
      m.put("embedding", Integer.toString(embedding));
      m.put("hidden", Integer.toString(hidden));
      m.put("layers", Integer.toString(layers));
      m.put("sn", Boolean.toString(sn));
      m.put("snOutput", Boolean.toString(snOutput));
      m.put("optimizer", optimizer.name());
      m.put("lr", Double.toString(lr));
      m.put("itersPerEpoch", Integer.toString(itersPerEpoch));
      m.put("halveAfter", Double.toString(halveAfter));
      m.put("halveEvery", Double.toString(halveEvery));
      m.put("clip", Double.toString(clip));
      m.put("seed", Long.toString(seed));
      m.put("dataType", dataType.name());
      m.put("dropout", Double.toString(dropout));
      return m;
    }

    static Config fromMap(Map<String, String> m) {
      return new Config(Integer.parseInt(m.get("srcVocab")), Integer.parseInt(m.get("tgtVocab")),
          Integer.parseInt(m.get("embedding")), Integer.parseInt(m.get("hidden")),
          Integer.parseInt(m.get("layers")), Boolean.parseBoolean(m.get("sn")),
          Boolean.parseBoolean(m.get("snOutput")),
          Seq2SeqModel.Optimizer.valueOf(m.get("optimizer")), Double.parseDouble(m.get("lr")),
          Integer.parseInt(m.get("itersPerEpoch")), Double.parseDouble(m.get("halveAfter")),
          Double.parseDouble(m.get("halveEvery")), Double.parseDouble(m.get("clip")),
          Long.parseLong(m.get("seed")), DataType.valueOf(m.get("dataType")),
          Double.parseDouble(m.getOrDefault("dropout", "0")));
    }
  }

  private final Config config;
  private final IUpdater updater;
  /** Trainable parameters by name, in a fixed order. */
  private final LinkedHashMap<String, INDArray> params = new LinkedHashMap<>();
  /** The SN vectors {u, v} by weight name. */
  private final LinkedHashMap<String, INDArray[]> snVectors = new LinkedHashMap<>();
  /** Updater state by parameter name (absent for stateless updaters). */
  private final LinkedHashMap<String, INDArray> updaterState = new LinkedHashMap<>();
  private final Map<String, GradientUpdater<?>> updaters = new LinkedHashMap<>();
  /** The embedding tables' gradient buffers, reused by every update. */
  private final Map<String, INDArray> embeddingGradients = new java.util.HashMap<>();
  private final LinkedHashMap<String, SameDiff> trainGraphs =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SameDiff> eldest) {
          return size() > MAX_TRAIN_GRAPHS;
        }
      };
  private final LinkedHashMap<Integer, SameDiff> encoderGraphs =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, SameDiff> eldest) {
          return size() > MAX_TRAIN_GRAPHS;
        }
      };
  private SameDiff stepGraph;
  private SameDiff lastTrainGraph;
  /** Holds the SN vectors (the arrays in {@link #snVectors}); null without SN. */
  private SameDiff snGraph;
  private SDSpectralNormListener snListener;
  /** Power iterations done on the model's vectors; each graph's copy is synced lazily. */
  private long snVersion;
  private final Map<SameDiff, Long> snSynced = new java.util.IdentityHashMap<>();
  private long iteration;
  private int epoch;
  private Engine engine = Engine.DIRECT;
  private Map<String, SpectralNormCore> snCores;

  /** How a training update computes its gradients; both give the same maths. */
  public enum Engine {
    /** {@link StateBackprop}: backpropagation through time written with ND4J operations. */
    DIRECT,
    /** The SameDiff training graph of the lengths' bucket, differentiated by SameDiff. */
    SAMEDIFF
  }

  /** Sets how updates compute their gradients (not saved with the model). Default: DIRECT. */
  public StateSeq2SeqModel engine(Engine engine) {
    this.engine = java.util.Objects.requireNonNull(engine, "engine");
    return this;
  }

  /** How updates compute their gradients. */
  public Engine engine() {
    return engine;
  }

  /** The direct engine's SN state of every normalized weight, bound to the model's vectors. */
  private Map<String, SpectralNormCore> snCores() {
    if (snCores == null) {
      snCores = new LinkedHashMap<>();
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        for (String name : normalizedWeights()) {
          INDArray[] uv = snVectors.get(name);
          snCores.put(name, StateBackprop.snCore(params.get(name), uv[0], uv[1]));
        }
      }
    }
    return snCores;
  }

  /** A new model, initialized from {@code config.seed()}. */
  public StateSeq2SeqModel(Config config) {
    this(config, null, null);
  }

  /**
   * A model with the given parameters and SN vectors by name (read from a file), or new ones
   * from {@code config.seed()} where null; the updater state starts at zero.
   */
  private StateSeq2SeqModel(Config config, Map<String, INDArray> initialParams,
      Map<String, INDArray[]> initialVectors) {
    if (config.layers() < 1 || config.hidden() < 1 || config.embedding() < 1
        || config.srcVocab() < 1 || config.tgtVocab() < 1) {
      throw new IllegalArgumentException("StateSeq2SeqModel: layers, hidden, embedding and "
          + "vocabulary sizes must be >= 1, got " + config);
    }
    this.config = config;
    this.updater = config.optimizer() == Seq2SeqModel.Optimizer.adam ? new Adam(config.lr())
        : new Sgd(Seq2SeqModel.halvingSchedule(config.lr(), config.itersPerEpoch(),
            config.halveAfter(), config.halveEvery()));
    Random rng = new Random(config.seed());
    for (Map.Entry<String, long[]> e : shapes().entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      INDArray p;
      if (initialParams != null) {
        p = initialParams.get(name);
        if (p == null || !java.util.Arrays.equals(p.shape(), shape)) {
          throw new IllegalArgumentException("StateSeq2SeqModel: parameter " + name + " must have "
              + "shape " + java.util.Arrays.toString(shape) + ", got "
              + (p == null ? "none" : java.util.Arrays.toString(p.shape())));
        }
        p = p.castTo(config.dataType());
      } else if (name.endsWith("b")) {
        p = Nd4j.zeros(config.dataType(), shape);
        if (!name.equals("outb")) {
          // Forget gate (block 1 of i, f, g, o) bias 1, as DL4J's LSTM.
          p.get(NDArrayIndex.interval(config.hidden(), 2L * config.hidden())).assign(1.0);
        }
      } else {
        p = uniform(rng, shape, config.dataType());
      }
      params.put(name, p);
    }
    initState();
    Nd4j.getRandom().setSeed(config.seed());
    initVectors(initialVectors);
  }

  /**
   * Builds the graph that owns the SN vectors: the normalized weights (the model's arrays) with
   * their {@link SDSpectralNorm} constants, random and warmed up, or {@code initial} {u, v} by
   * weight; the core's listener runs the power iteration on it.
   */
  private void initVectors(Map<String, INDArray[]> initial) {
    if (normalizedWeights().isEmpty()) {
      return;
    }
    snGraph = SameDiff.create();
    for (String w : normalizedWeights()) {
      SDVariable var = snGraph.var(w, params.get(w));
      SDSpectralNorm.Options options = new SDSpectralNorm.Options();
      if (initial != null) {
        options.initialVectors(initial.get(w)[0], initial.get(w)[1]);
      }
      SDSpectralNorm.apply(snGraph, var, options);
      snVectors.put(w, new INDArray[] {snGraph.getArrForVarName(w + "_snU"),
          snGraph.getArrForVarName(w + "_snV")});
    }
    snListener = SDSpectralNorm.listener(snGraph);
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  @Override
  public String architecture() {
    return ARCHITECTURE;
  }

  /** Parameter names and shapes, in the order of the parameter map. */
  private LinkedHashMap<String, long[]> shapes() {
    int h = config.hidden();
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    s.put("srcEmbed", new long[] {config.srcVocab(), config.embedding()});
    s.put("tgtEmbed", new long[] {config.tgtVocab(), config.embedding()});
    for (String side : new String[] {"enc", "dec"}) {
      for (int l = 0; l < config.layers(); l++) {
        s.put(side + l + "W", new long[] {l == 0 ? config.embedding() : h, 4L * h});
        s.put(side + l + "RW", new long[] {h, 4L * h});
        s.put(side + l + "b", new long[] {4L * h});
      }
    }
    s.put("outW", new long[] {h, config.tgtVocab()});
    s.put("outb", new long[] {config.tgtVocab()});
    return s;
  }

  /** The names of the spectrally normalized weights. */
  List<String> normalizedWeights() {
    List<String> out = new ArrayList<>();
    if (config.sn()) {
      for (String side : new String[] {"enc", "dec"}) {
        for (int l = 0; l < config.layers(); l++) {
          out.add(side + l + "W");
          out.add(side + l + "RW");
        }
      }
    }
    if (config.snOutput()) {
      out.add("outW");
    }
    return out;
  }

  private static INDArray uniform(Random rng, long[] shape, DataType type) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    double[] data = new double[Math.toIntExact(n)];
    for (int i = 0; i < data.length; i++) {
      data[i] = -0.08 + 0.16 * rng.nextDouble();
    }
    return Nd4j.create(data, shape, type);
  }

  private void initState() {
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      long n = updater.stateSize(e.getValue().length());
      INDArray state = n > 0 ? Nd4j.zeros(config.dataType(), 1, n) : null;
      if (state != null) {
        updaterState.put(e.getKey(), state);
      }
      updaters.put(e.getKey(), updater.instantiate(state, true));
    }
  }

  // ---------------------------------------------------------------- graphs

  /** Rounds a number of time steps up to a multiple of {@link #BUCKET}. */
  static int bucket(int steps) {
    return (steps + BUCKET - 1) / BUCKET * BUCKET;
  }

  /**
   * Declares the graph parameters {@code names} (not the embeddings) in a graph; returns them,
   * SN weights normalized.
   */
  private Map<String, SDVariable> declare(SameDiff sd, List<String> names) {
    Map<String, SDVariable> vars = new LinkedHashMap<>();
    List<String> normalized = normalizedWeights();
    for (String name : names) {
      INDArray arr = params.get(name);
      SDVariable v = sd.var(name, arr);
      sd.associateArrayWithVariable(arr, v);
      if (normalized.contains(name)) {
        INDArray[] uv = snVectors.get(name);
        // The graph gets copies of the vectors (a constant's array cannot be shared): syncVectors
        // brings them up to date before each use.
        SDVariable wSn = SDSpectralNorm.apply(sd, v,
            new SDSpectralNorm.Options().initialVectors(uv[0], uv[1])).weightSn();
        vars.put(name, wSn);
      } else {
        vars.put(name, v);
      }
    }
    return vars;
  }

  /** The parameters inside the graphs (all but the embeddings) of the encoder and/or decoder. */
  private List<String> graphParams(boolean encoder, boolean decoder) {
    List<String> out = new ArrayList<>();
    for (String name : params.keySet()) {
      if (name.endsWith("Embed")) {
        continue;
      }
      boolean enc = name.startsWith("enc");
      if (enc ? encoder : decoder) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * The input projections {@code x W + b} of one layer for all steps at once (one matmul, fewer
   * SameDiff ops than one per step): {@code seq} [steps, b, nIn] to steps arrays [b, 4H].
   */
  private SDVariable[] inputProjections(SameDiff sd, Map<String, SDVariable> w, String layer,
      SDVariable seq, int steps) {
    long nIn = params.get(layer + "W").size(0);
    SDVariable z = seq.reshape(-1, nIn).mmul(w.get(layer + "W")).add(w.get(layer + "b"));
    return sd.unstack(z.reshape(steps, -1, 4L * config.hidden()), 0, steps);
  }

  /**
   * One LSTM cell from its input projection {@code zx = x W + b}: {h', c'}; {@code h == null}
   * means zero state.
   */
  private SDVariable[] cell(SameDiff sd, Map<String, SDVariable> w, String layer, SDVariable zx,
      SDVariable h, SDVariable c) {
    SDVariable z = h == null ? zx : zx.add(h.mmul(w.get(layer + "RW")));
    SDVariable[] blocks = sd.split(z, 4, 1);
    SDVariable i = sd.nn().sigmoid(blocks[0]);
    SDVariable f = sd.nn().sigmoid(blocks[1]);
    SDVariable g = sd.math().tanh(blocks[2]);
    SDVariable o = sd.nn().sigmoid(blocks[3]);
    SDVariable cNew = c == null ? i.mul(g) : f.mul(c).add(i.mul(g));
    SDVariable hNew = o.mul(sd.math().tanh(cNew));
    return new SDVariable[] {hNew, cNew};
  }

  /**
   * The encoder over {@code ts} steps of embedded sources {@code srcX} [ts, b, E]; returns
   * {h[layers], c[layers]}, each layer's state after each sentence's last real token, named
   * encH/encC. {@code srcLast} [ts, b, 1] is 1 at that token and 0 elsewhere: padding is on the
   * right, so the states up to the last real token do not depend on it, and the sum over time of
   * {@code srcLast * state} picks them out exactly (fewer SameDiff ops than masking every step).
   */
  private SDVariable[][] encoder(SameDiff sd, Map<String, SDVariable> w, SDVariable srcX,
      SDVariable srcLast, int ts) {
    return encoder(sd, w, srcX, srcLast, ts, false);
  }

  /**
   * As above; with {@code dropout}, layer l + 1's input is layer l's output times the
   * placeholder {@code encDrop<l>} [ts, b, H] (the states handed over are not dropped).
   */
  private SDVariable[][] encoder(SameDiff sd, Map<String, SDVariable> w, SDVariable srcX,
      SDVariable srcLast, int ts, boolean dropout) {
    int layers = config.layers();
    SDVariable[] h = new SDVariable[layers];
    SDVariable[] c = new SDVariable[layers];
    SDVariable seq = srcX;
    for (int l = 0; l < layers; l++) {
      SDVariable[] zx = inputProjections(sd, w, "enc" + l, seq, ts);
      SDVariable[] hs = new SDVariable[ts];
      SDVariable[] cs = new SDVariable[ts];
      for (int t = 0; t < ts; t++) {
        SDVariable[] next = cell(sd, w, "enc" + l, zx[t], t == 0 ? null : hs[t - 1],
            t == 0 ? null : cs[t - 1]);
        hs[t] = next[0];
        cs[t] = next[1];
      }
      SDVariable out = sd.stack(0, hs); // [ts, b, H]
      h[l] = out.mul(srcLast).sum(0).rename("encH" + l);
      c[l] = sd.stack(0, cs).mul(srcLast).sum(0).rename("encC" + l);
      seq = dropout && l + 1 < layers
          ? out.mul(sd.placeHolder("encDrop" + l, config.dataType(), ts, -1, config.hidden()))
          : out;
    }
    return new SDVariable[][] {h, c};
  }

  /** Output log-probabilities [n, vocab] of top decoder states [n, hidden]. */
  private SDVariable logProbs(SameDiff sd, Map<String, SDVariable> w, SDVariable top) {
    // logSoftmax(x, 1) cannot be differentiated in M2.1 (its dimension property breaks the
    // FlatBuffers clone that createGradFunction makes); the default is the last dimension.
    return sd.nn().logSoftmax(top.mmul(w.get("outW")).add(w.get("outb"))).rename("logp");
  }

  /**
   * The training graph for {@code ts} source and {@code tt} target steps, vectors synced. The
   * arrays the previously used training graph keeps for reuse are freed first.
   */
  SameDiff trainGraph(int ts, int tt) {
    SameDiff sd = trainGraphs.computeIfAbsent(ts + "," + tt, k -> buildTrainGraph(ts, tt));
    if (lastTrainGraph != null && lastTrainGraph != sd) {
      freeArrays(lastTrainGraph);
    }
    lastTrainGraph = sd;
    return syncVectors(sd);
  }

  /**
   * Frees the arrays a graph and its gradient function keep between calls: SameDiff's session
   * memory manager caches the released intermediate arrays of every graph (about 500 MB per
   * training graph at hidden 256, vocabulary 8000, batch 64), which adds up over the cached
   * graphs. The manager's close() frees the arrays but keeps them listed, so the sessions are
   * dropped too (a fresh one is made at the next call).
   */
  private static void freeArrays(SameDiff sd) {
    for (SameDiff g : new SameDiff[] {sd, sd.getFunction("grad")}) {
      if (g != null) {
        for (InferenceSession session : g.getSessions().values()) {
          session.getMmgr().close();
        }
        g.getSessions().clear();
      }
    }
  }

  /** Copies the model's SN vectors into a graph's constants unless they are up to date. */
  private SameDiff syncVectors(SameDiff sd) {
    Long synced = snSynced.get(sd);
    if (synced == null || synced != snVersion) {
      for (Map.Entry<String, INDArray[]> e : snVectors.entrySet()) {
        if (sd.hasVariable(e.getKey() + "_snU")) {
          sd.getArrForVarName(e.getKey() + "_snU").assign(e.getValue()[0]);
          sd.getArrForVarName(e.getKey() + "_snV").assign(e.getValue()[1]);
        }
      }
      snSynced.keySet().retainAll(liveGraphs());
      snSynced.put(sd, snVersion);
    }
    return sd;
  }

  private List<SameDiff> liveGraphs() {
    List<SameDiff> out = new ArrayList<>(trainGraphs.values());
    out.addAll(encoderGraphs.values());
    if (stepGraph != null) {
      out.add(stepGraph);
    }
    return out;
  }

  /**
   * One power iteration per normalized weight on the current weights (what every update does
   * first, as {@link SDSpectralNormListener} in {@code SameDiff.fit}); graphs see the new
   * vectors at their next use.
   */
  void powerIterate() {
    if (snListener != null) {
      snListener.iterate(snGraph);
      snVersion++;
    }
  }

  private SameDiff buildTrainGraph(int ts, int tt) {
    SameDiff sd = SameDiff.create();
    DataType dt = config.dataType();
    Map<String, SDVariable> w = declare(sd, graphParams(true, true));
    // Embedded inputs as variables (replaced every batch), so that SameDiff differentiates them.
    long e = config.embedding();
    SDVariable srcX = sd.var("srcX", Nd4j.zeros(dt, ts, 1, e));
    SDVariable tgtX = sd.var("tgtX", Nd4j.zeros(dt, tt, 1, e));
    SDVariable srcLast = sd.placeHolder("srcLast", dt, ts, -1, 1);
    // The unpadded target positions: a 0/1 matrix [n, tt b] that selects their time-major rows
    // (t b + i), and their words.
    SDVariable rows = sd.placeHolder("rows", dt, -1, -1);
    SDVariable words = sd.placeHolder("words", DataType.INT32, -1);
    boolean dropout = config.dropout() > 0;
    SDVariable[][] state = encoder(sd, w, srcX, srcLast, ts, dropout);
    // The hand-over: decoder layer l starts from encoder layer l's final state.
    SDVariable seq = tgtX;
    SDVariable[] hs = new SDVariable[tt];
    for (int l = 0; l < config.layers(); l++) {
      SDVariable[] zx = inputProjections(sd, w, "dec" + l, seq, tt);
      SDVariable h = state[0][l];
      SDVariable c = state[1][l];
      for (int t = 0; t < tt; t++) {
        SDVariable[] next = cell(sd, w, "dec" + l, zx[t], h, c);
        h = next[0];
        c = next[1];
        hs[t] = h;
      }
      if (l + 1 < config.layers()) {
        seq = sd.stack(0, hs);
        if (dropout) {
          seq = seq.mul(sd.placeHolder("decDrop" + l, dt, tt, -1, config.hidden()));
        }
      }
    }
    // Time-major rows: row t * b + i is sentence i at step t.
    SDVariable top = sd.concat(0, hs);
    if (dropout) {
      top = top.mul(sd.placeHolder("topDrop", dt, -1, config.hidden()));
    }
    logProbs(sd, w, top); // "logp" of every row, for tests and inspection; not on the loss path
    // The loss, -sum log p(word) over the unpadded positions: only their rows go through the
    // output layer (selected by a matmul: gather's backward pass fails on a placeholder of
    // unknown length in M2.1), and the fused sparse softmax cross-entropy needs neither a
    // one-hot [n, vocab] matrix nor the log-softmax's backward pass. Its doDiff in M2.1 does not
    // multiply by the upstream gradient, so the loss variable is this plain sum (upstream
    // gradient 1) and lossAndGradients divides by the batch size outside the graph.
    SDVariable logits = rows.mmul(top).mmul(w.get("outW")).add(w.get("outb"));
    SDVariable loss = sd.loss().sparseSoftmaxCrossEntropy(logits, words).sum().rename("lossSum");
    sd.setLossVariables(loss);
    return sd;
  }

  private SameDiff encoderGraph(int ts) {
    return syncVectors(encoderGraphs.computeIfAbsent(ts, k -> {
      SameDiff sd = SameDiff.create();
      Map<String, SDVariable> w = declare(sd, graphParams(true, false));
      SDVariable srcX = sd.placeHolder("srcX", config.dataType(), ts, -1, config.embedding());
      SDVariable srcLast = sd.placeHolder("srcLast", config.dataType(), ts, -1, 1);
      encoder(sd, w, srcX, srcLast, ts);
      return sd;
    }));
  }

  private SameDiff stepGraph() {
    if (stepGraph == null) {
      SameDiff sd = SameDiff.create();
      Map<String, SDVariable> w = declare(sd, graphParams(false, true));
      SDVariable x = sd.placeHolder("x", config.dataType(), -1, config.embedding());
      for (int l = 0; l < config.layers(); l++) {
        SDVariable h = sd.placeHolder("h" + l, config.dataType(), -1, config.hidden());
        SDVariable c = sd.placeHolder("c" + l, config.dataType(), -1, config.hidden());
        SDVariable zx = x.mmul(w.get("dec" + l + "W")).add(w.get("dec" + l + "b"));
        SDVariable[] next = cell(sd, w, "dec" + l, zx, h, c);
        next[0].rename("hOut" + l);
        next[1].rename("cOut" + l);
        x = next[0];
      }
      logProbs(sd, w, x);
      stepGraph = sd;
    }
    return syncVectors(stepGraph);
  }

  // ---------------------------------------------------------------- batches

  /**
   * A minibatch for the training graph of its bucketed lengths: the placeholders, the word
   * indices time-major (entry t b + i is sentence i at step t) and their embeddings.
   */
  record Batch(int size, int ts, int tt, Map<String, INDArray> placeholders, int[] srcIdx,
      int[] tgtIdx, INDArray srcX, INDArray tgtX, INDArray srcDrop, INDArray tgtDrop,
      int[] srcLastStep, int[] rowIdx, int[] words) {}

  /**
   * A minibatch; with dropout and {@code train}, fresh dropout masks (the embedded words' masks,
   * srcDrop and tgtDrop, are applied to srcX and tgtX here), otherwise masks of ones.
   */
  Batch batch(MultiDataSet m, boolean train) {
    INDArray srcF = m.getFeatures(0);
    INDArray tgtF = m.getFeatures(1);
    int b = (int) srcF.size(0);
    int ts = (int) srcF.size(2);
    int tt = (int) tgtF.size(2);
    int tsB = bucket(ts);
    int ttB = bucket(tt);
    Map<String, INDArray> ph = new LinkedHashMap<>();
    int[] srcLastStep = lastSteps(m.getFeaturesMaskArray(0));
    ph.put("srcLast", lastToken(srcLastStep, tsB));
    int[] labels = timeMajor(padded(m.getLabels(0).reshape(b, tt), b, ttB, DataType.INT32));
    double[] mask = padded(m.getLabelsMaskArray(0), b, ttB, DataType.DOUBLE).transpose()
        .dup('c').data().asDouble();
    int n = 0;
    for (double v : mask) {
      n += v != 0 ? 1 : 0;
    }
    INDArray rows = Nd4j.zeros(config.dataType(), n, mask.length);
    int[] words = new int[n];
    int[] rowIdx = new int[n];
    for (int r = 0, k = 0; r < mask.length; r++) {
      if (mask[r] != 0) {
        rows.putScalar(k, r, 1);
        rowIdx[k] = r;
        words[k++] = labels[r];
      }
    }
    ph.put("rows", rows);
    ph.put("words", Nd4j.createFromArray(words));
    int[] srcIdx = timeMajor(padded(srcF.reshape(b, ts), b, tsB, DataType.INT32));
    int[] tgtIdx = timeMajor(padded(tgtF.reshape(b, tt), b, ttB, DataType.INT32));
    INDArray srcX = embed("srcEmbed", srcIdx, tsB, b);
    INDArray tgtX = embed("tgtEmbed", tgtIdx, ttB, b);
    INDArray srcDrop = null;
    INDArray tgtDrop = null;
    if (config.dropout() > 0) {
      boolean drop = train;
      long h = config.hidden();
      for (int l = 0; l + 1 < config.layers(); l++) {
        ph.put("encDrop" + l, dropMask(drop, tsB, b, h));
        ph.put("decDrop" + l, dropMask(drop, ttB, b, h));
      }
      ph.put("topDrop", dropMask(drop, (long) ttB * b, h));
      if (train) {
        srcDrop = dropMask(true, srcX.shape());
        tgtDrop = dropMask(true, tgtX.shape());
        srcX.muli(srcDrop);
        tgtX.muli(tgtDrop);
      }
    }
    return new Batch(b, tsB, ttB, ph, srcIdx, tgtIdx, srcX, tgtX, srcDrop, tgtDrop, srcLastStep,
        rowIdx, words);
  }

  /** An inverted dropout mask: 0 with the dropout rate, else 1 / (1 - rate); ones if not drop. */
  private INDArray dropMask(boolean drop, long... shape) {
    if (!drop) {
      return Nd4j.ones(config.dataType(), shape);
    }
    double keep = 1 - config.dropout();
    return Nd4j.rand(config.dataType(), shape).lt(keep).castTo(config.dataType()).divi(keep);
  }

  /** Each row's last unmasked step of a right-padded mask [b, T]. */
  private static int[] lastSteps(INDArray mask) {
    double[] lengths = mask.sum(1).castTo(DataType.DOUBLE).toDoubleVector();
    int[] out = new int[lengths.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) lengths[i] - 1;
    }
    return out;
  }

  /** [t, b, 1]: 1 at each row's last step. */
  private INDArray lastToken(int[] lastSteps, int t) {
    INDArray last = Nd4j.zeros(config.dataType(), t, lastSteps.length, 1);
    for (int i = 0; i < lastSteps.length; i++) {
      last.putScalar(new long[] {lastSteps[i], i, 0}, 1);
    }
    return last;
  }

  private static int[] timeMajor(INDArray idx) {
    return idx.transpose().dup('c').data().asInt();
  }

  /** Embedding rows of time-major indices, as [t, b, E]. */
  private INDArray embed(String table, int[] idx, int t, int b) {
    return Nd4j.pullRows(params.get(table), 1, idx).reshape('c', t, b, config.embedding());
  }

  /**
   * The gradient of an embedding table from the gradient of its rows [t, b, E]: the rows of each
   * word summed in Java (in row order, so repeated words add up exactly), then written into a
   * zero table by one native scatter instead of a row copy per word.
   */
  private INDArray embeddingGradient(String table, int[] idx, INDArray rowGrads) {
    int e = config.embedding();
    double[] g = rowGrads.dup('c').data().asDouble();
    Map<Integer, double[]> sums = new java.util.TreeMap<>();
    for (int r = 0; r < idx.length; r++) {
      double[] acc = sums.computeIfAbsent(idx[r], k -> new double[e]);
      for (int j = 0; j < e; j++) {
        acc[j] += g[r * e + j];
      }
    }
    int[] words = new int[sums.size()];
    double[] rows = new double[sums.size() * e];
    int k = 0;
    for (Map.Entry<Integer, double[]> s : sums.entrySet()) {
      words[k] = s.getKey();
      System.arraycopy(s.getValue(), 0, rows, k++ * e, e);
    }
    // One buffer per table, reused by every update (a fresh 8 MB table per update costs more
    // than zeroing it): the gradients handed out are consumed before the next update.
    INDArray out = embeddingGradients.get(table);
    if (out == null) {
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        out = Nd4j.create(config.dataType(), params.get(table).shape());
      }
      embeddingGradients.put(table, out);
    }
    out.assign(0);
    INDArray updates = Nd4j.createFromArray(rows).reshape(words.length, e)
        .castTo(config.dataType());
    StateBackprop.scatter(out, words, updates);
    return out;
  }

  /** The training graph of a batch, its embedded inputs set. */
  private SameDiff graphFor(Batch batch) {
    SameDiff sd = trainGraph(batch.ts(), batch.tt());
    sd.associateArrayWithVariable(batch.srcX(), "srcX");
    sd.associateArrayWithVariable(batch.tgtX(), "tgtX");
    return sd;
  }

  /**
   * Loss and gradients of all parameters, embeddings included, on a batch: by {@link
   * StateBackprop} (the default) or by the SameDiff training graph ({@link Engine#SAMEDIFF}).
   */
  private OutAndGrad lossAndGradients(Batch batch) {
    double lossSum;
    Map<String, INDArray> raw;
    INDArray srcXGrad;
    INDArray tgtXGrad;
    Map<String, INDArray> outputs = new LinkedHashMap<>();
    if (engine == Engine.DIRECT) {
      StateBackprop.Result r = new StateBackprop(config, params, snCores())
          .run(batch.srcX(), batch.tgtX(), batch.srcLastStep(), batch.rowIdx(), batch.words(),
              batch.placeholders());
      lossSum = r.lossSum();
      raw = r.grads();
      srcXGrad = r.srcXGrad();
      tgtXGrad = r.tgtXGrad();
    } else {
      SameDiff sd = graphFor(batch);
      List<String> wrt = new ArrayList<>(graphParams(true, true));
      wrt.add("srcX");
      wrt.add("tgtX");
      OutAndGrad og = sd.calculateGradientsAndOutputs(batch.placeholders(), List.of("lossSum"),
          wrt);
      outputs.putAll(og.getOutputs());
      lossSum = og.getOutputs().get("lossSum").getDouble(0);
      raw = og.getGradients();
      srcXGrad = raw.get("srcX");
      tgtXGrad = raw.get("tgtX");
    }
    // The loss summed over the batch; the model's loss is the mean per sentence.
    double perSentence = 1.0 / batch.size();
    Map<String, INDArray> grads = new LinkedHashMap<>();
    for (String name : params.keySet()) {
      INDArray g;
      if (name.equals("srcEmbed")) {
        g = embeddingGradient(name, batch.srcIdx(), dropped(srcXGrad, batch.srcDrop()));
      } else if (name.equals("tgtEmbed")) {
        g = embeddingGradient(name, batch.tgtIdx(), dropped(tgtXGrad, batch.tgtDrop()));
      } else {
        g = raw.get(name);
      }
      grads.put(name, g.muli(perSentence));
    }
    outputs.put("loss", Nd4j.scalar(lossSum * perSentence));
    return new OutAndGrad(outputs, grads);
  }

  /** The gradient of embedded words through their dropout mask (none: unchanged). */
  private static INDArray dropped(INDArray grad, INDArray mask) {
    return mask == null ? grad : grad.mul(mask);
  }

  private static INDArray padded(INDArray a, int b, int t, DataType type) {
    INDArray out = Nd4j.zeros(type, b, t);
    out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, a.size(1))).assign(a.castTo(type));
    return out;
  }

  private Map<String, INDArray> encoderInputs(List<int[]> sources) {
    int b = sources.size();
    int ts = bucket(sources.stream().mapToInt(s -> s.length).max().orElse(1));
    int[] idx = new int[ts * b];
    INDArray last = Nd4j.zeros(config.dataType(), ts, b, 1);
    for (int i = 0; i < b; i++) {
      int[] s = sources.get(i);
      for (int t = 0; t < s.length; t++) {
        idx[t * b + i] = s[t];
      }
      last.putScalar(new long[] {s.length - 1, i, 0}, 1);
    }
    Map<String, INDArray> ph = new LinkedHashMap<>();
    ph.put("srcX", embed("srcEmbed", idx, ts, b));
    ph.put("srcLast", last);
    return ph;
  }

  /**
   * The largest singular value (exact, by SVD) of every raw LSTM weight, W and RW of each encoder
   * and decoder layer (before SN's division when SN is on), and of the output layer's weight,
   * by parameter name.
   */
  public Map<String, Double> weightSigmas() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      String name = e.getKey();
      if (name.matches("(enc|dec)\\d+R?W") || name.equals("outW")) {
        out.put(name, SingularValues.largest(e.getValue().castTo(DataType.DOUBLE)));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- training

  @Override
  public double fit(MultiDataSet m) {
    if (engine == Engine.SAMEDIFF) {
      Batch batch = batch(m, true);
      powerIterate(); // on the current weights, before the forward pass
      return update(batch);
    }
    // Every array of the direct engine's update lives in one workspace, reused by the next
    // update: no fresh native buffers per update (whose pages cost time, and which the garbage
    // collector, seeing only small Java objects, frees too late: the resident memory grew past
    // 11 GB within 200 updates without it). The SN vectors, updated in place by the power
    // iteration, and the embedding gradient buffers stay outside it.
    powerIterate();
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(FIT_WORKSPACE,
        FIT_WORKSPACE_ID)) {
      return update(batch(m, true));
    }
  }

  /** Loss, gradients, global-norm clipping and the updater's step on one batch. */
  private double update(Batch batch) {
    OutAndGrad og = lossAndGradients(batch);
    double loss = og.getOutputs().get("loss").getDouble(0);
    Map<String, INDArray> grads = og.getGradients();
    double sumSquares = 0;
    for (String name : params.keySet()) {
      double n = grads.get(name).norm2Number().doubleValue();
      sumSquares += n * n;
    }
    double norm = Math.sqrt(sumSquares);
    double scale = norm > config.clip() ? config.clip() / norm : 1.0;
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      INDArray p = e.getValue();
      INDArray g = grads.get(e.getKey()).castTo(p.dataType());
      g = (g.ordering() == 'c' && !g.isView() ? g : g.dup('c')).reshape('c', 1, p.length());
      if (scale != 1.0) {
        g.muli(scale);
      }
      updaters.get(e.getKey()).applyUpdater(g, (int) iteration, epoch);
      p.subi(g.reshape('c', p.shape()));
    }
    iteration++;
    return loss;
  }

  @Override
  public double loss(MultiDataSet m) {
    return loss(m, false);
  }

  /** The loss, with fresh dropout masks if {@code train} (for tests: seed ND4J's RNG first). */
  double loss(MultiDataSet m, boolean train) {
    Batch batch = batch(m, train);
    return graphFor(batch).output(batch.placeholders(), "lossSum").get("lossSum").getDouble(0)
        / batch.size();
  }

  /**
   * Adds the gate statistics of a minibatch's LSTMs (teacher-forced, no dropout; see {@link
   * GateStatistics}) to {@code stats}, by layer name (enc0, ..., dec0, ...).
   */
  void gateStatistics(MultiDataSet m, Map<String, GateStatistics> stats) {
    Batch batch = batch(m, false);
    new StateBackprop(config, params, snCores()).gateStatistics(batch.srcX(), batch.tgtX(),
        batch.srcLastStep(), batch.rowIdx(), stats);
  }

  /** The gradients of the loss of a minibatch by parameter name (for tests; no update). */
  Map<String, INDArray> gradients(MultiDataSet m) {
    return gradients(m, false);
  }

  /** As {@link #gradients(MultiDataSet)}, with fresh dropout masks if {@code train}. */
  Map<String, INDArray> gradients(MultiDataSet m, boolean train) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    lossAndGradients(batch(m, train)).getGradients().forEach((k, v) -> out.put(k, v.dup()));
    return out;
  }

  /** Outputs of the training graph on a minibatch (e.g. "encH0", "logp", "lossSum"; for tests). */
  Map<String, INDArray> trainOutputs(MultiDataSet m, String... names) {
    Batch batch = batch(m, false);
    Map<String, INDArray> out = new LinkedHashMap<>();
    graphFor(batch).output(batch.placeholders(), names).forEach((k, v) -> out.put(k, v.dup()));
    return out;
  }

  /**
   * The teacher-forced log-probabilities [b, Tt, vocab] of a minibatch, Tt its unpadded target
   * length: entry (i, t) is the distribution of target word t of sentence i given the source and
   * the reference words before it.
   */
  public INDArray teacherForcedLogProbs(MultiDataSet m) {
    Batch batch = batch(m, false);
    INDArray logp = graphFor(batch).output(batch.placeholders(), "logp").get("logp");
    int tt = (int) m.getFeatures(1).size(2);
    INDArray byTime = logp.reshape('c', batch.tt(), batch.size(), config.tgtVocab());
    return byTime.get(NDArrayIndex.interval(0, tt), NDArrayIndex.all(), NDArrayIndex.all())
        .permute(1, 0, 2).dup('c');
  }


  /**
   * The weight a graph uses for a normalized parameter: {@code W / (u^T M v)} from the stored
   * vectors (for tests and inspection).
   */
  INDArray normalizedWeight(String name) {
    INDArray w = params.get(name);
    INDArray[] uv = snVectors.get(name);
    // DENSE layout: M = W^T, sigma = u^T W^T v = v . (W u).
    double sigma = uv[1].reshape(1, -1).mmul(w.mmul(uv[0].reshape(-1, 1))).getDouble(0);
    return w.div(sigma);
  }

  /** The trainable parameters by name (live arrays). */
  Map<String, INDArray> params() {
    return Collections.unmodifiableMap(params);
  }

  /** The SN vectors {u, v} by weight name (live arrays). */
  Map<String, INDArray[]> snVectors() {
    return Collections.unmodifiableMap(snVectors);
  }

  @Override
  public int epochCount() {
    return epoch;
  }

  @Override
  public void incrementEpochCount() {
    epoch++;
  }

  @Override
  public long iterationCount() {
    return iteration;
  }

  @Override
  public long numParams() {
    long n = 0;
    for (INDArray p : params.values()) {
      n += p.length();
    }
    return n;
  }

  @Override
  public double learningRate() {
    return updater.getLearningRate((int) iteration, epoch);
  }

  // ---------------------------------------------------------------- decoding

  /**
   * The encoder's final states for sources (encoded as in {@link Example}, each at least one
   * token): {h[layers], c[layers]}, each [b, hidden], the state after each sentence's last token.
   */
  public INDArray[][] encode(List<int[]> sources) {
    Map<String, INDArray> ph = encoderInputs(sources);
    SameDiff sd = encoderGraph((int) ph.get("srcX").size(0));
    String[] names = new String[2 * config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      names[2 * l] = "encH" + l;
      names[2 * l + 1] = "encC" + l;
    }
    Map<String, INDArray> out = sd.output(ph, names);
    INDArray[][] state = new INDArray[2][config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      state[0][l] = out.get("encH" + l).dup();
      state[1][l] = out.get("encC" + l).dup();
    }
    return state;
  }

  /**
   * One decoder step: feeds {@code tokens} with state {h, c} (each [b, hidden] per layer) and
   * returns the log-probabilities [b, vocab] of the next word; {@code h} and {@code c} are
   * replaced by the new state.
   */
  public INDArray step(int[] tokens, INDArray[] h, INDArray[] c) {
    Map<String, INDArray> ph = new LinkedHashMap<>();
    ph.put("x", Nd4j.pullRows(params.get("tgtEmbed"), 1, tokens));
    String[] names = new String[2 * config.layers() + 1];
    for (int l = 0; l < config.layers(); l++) {
      ph.put("h" + l, h[l]);
      ph.put("c" + l, c[l]);
      names[2 * l] = "hOut" + l;
      names[2 * l + 1] = "cOut" + l;
    }
    names[names.length - 1] = "logp";
    Map<String, INDArray> out = stepGraph().output(ph, names);
    for (int l = 0; l < config.layers(); l++) {
      h[l] = out.get("hOut" + l).dup();
      c[l] = out.get("cOut" + l).dup();
    }
    return out.get("logp").dup();
  }

  @Override
  public StepDecoder decoder() {
    return new StateDecoder(this);
  }

  // ---------------------------------------------------------------- files

  /** Whether a model file holds a state model (else a DL4J graph). */
  static boolean isStateModel(File file) throws IOException {
    try (ZipFile zip = new ZipFile(file)) {
      return zip.getEntry(CONFIG_ENTRY) != null;
    }
  }

  @Override
  public void write(File file) throws IOException {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("architecture", ARCHITECTURE);
    meta.put("config", config.toMap());
    meta.put("iteration", iteration);
    meta.put("epoch", epoch);
    meta.put("params", new ArrayList<>(params.keySet()));
    meta.put("normalized", normalizedWeights());
    try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(
        new FileOutputStream(file)))) {
      zip.putNextEntry(new ZipEntry(CONFIG_ENTRY));
      zip.write(new ObjectMapper().writeValueAsString(meta).getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
      for (Map.Entry<String, INDArray> e : params.entrySet()) {
        writeArray(zip, "params/" + e.getKey(), e.getValue());
      }
      for (Map.Entry<String, INDArray[]> e : snVectors.entrySet()) {
        writeArray(zip, "sn/" + e.getKey() + "U", e.getValue()[0]);
        writeArray(zip, "sn/" + e.getKey() + "V", e.getValue()[1]);
      }
      for (Map.Entry<String, INDArray> e : updaterState.entrySet()) {
        writeArray(zip, "updater/" + e.getKey(), e.getValue());
      }
    }
  }

  private static void writeArray(ZipOutputStream zip, String name, INDArray a)
      throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    DataOutputStream out = new DataOutputStream(zip);
    Nd4j.write(a, out);
    out.flush();
    zip.closeEntry();
  }

  /** Reads a model written by {@link #write}, with its updater state and counters. */
  static StateSeq2SeqModel read(File file) throws IOException {
    try (ZipFile zip = new ZipFile(file)) {
      ZipEntry entry = zip.getEntry(CONFIG_ENTRY);
      if (entry == null) {
        throw new IOException(file + " is not a state-architecture model (no " + CONFIG_ENTRY
            + ")");
      }
      Map<String, Object> meta;
      try (InputStream in = zip.getInputStream(entry)) {
        meta = new ObjectMapper().readValue(in, new TypeReference<Map<String, Object>>() {});
      }
      @SuppressWarnings("unchecked")
      Map<String, String> cfg = (Map<String, String>) meta.get("config");
      Config config = Config.fromMap(cfg);
      Map<String, INDArray> params = new LinkedHashMap<>();
      @SuppressWarnings("unchecked")
      List<String> names = (List<String>) meta.get("params");
      for (String name : names) {
        params.put(name, readArray(zip, "params/" + name));
      }
      Map<String, INDArray[]> vectors = new LinkedHashMap<>();
      @SuppressWarnings("unchecked")
      List<String> normalized = (List<String>) meta.get("normalized");
      for (String w : normalized) {
        vectors.put(w, new INDArray[] {readArray(zip, "sn/" + w + "U"),
            readArray(zip, "sn/" + w + "V")});
      }
      StateSeq2SeqModel model;
      try {
        model = new StateSeq2SeqModel(config, params, vectors);
      } catch (IllegalArgumentException e) {
        throw new IOException("Model file " + file + ": " + e.getMessage(), e);
      }
      for (Map.Entry<String, INDArray> e : model.updaterState.entrySet()) {
        e.getValue().assign(readArray(zip, "updater/" + e.getKey()));
      }
      model.iteration = ((Number) meta.get("iteration")).longValue();
      model.epoch = ((Number) meta.get("epoch")).intValue();
      return model;
    }
  }

  private static INDArray readArray(ZipFile zip, String name) throws IOException {
    ZipEntry e = zip.getEntry(name);
    if (e == null) {
      throw new IOException("Model file " + zip.getName() + " has no entry " + name);
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
        zip.getInputStream(e)))) {
      return Nd4j.read(in);
    }
  }
}
