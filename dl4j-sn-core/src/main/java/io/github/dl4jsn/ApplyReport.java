package io.github.dl4jsn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@link SpectralNorm#applyTo} did to each layer of a configuration: which layers it wrapped,
 * which it left alone, and why. {@link SpectralNorm#apply} returns it beside the configuration;
 * {@code applyTo} logs it.
 */
public final class ApplyReport {

  /** What happened to one layer. */
  public enum Outcome {
    /** Wrapped with spectral normalization. */
    WRAPPED(false),
    /** Supported, but the caller's predicate left it alone. */
    EXCLUDED_BY_PREDICATE(false),
    /** Already spectrally normalized: left as it was. */
    ALREADY_WRAPPED(false),
    /** No weights: nothing to normalize (activations, pooling, batch norm's per-channel scale). */
    NO_WEIGHTS(false),
    /** Has weights, of a layer type this library does not normalize. */
    UNSUPPORTED_TYPE(true),
    /** Has weights inside a wrapper this library cannot enter (TimeDistributed, frozen, ...). */
    INSIDE_WRAPPER(true);

    private final boolean weightsLeftAlone;

    Outcome(boolean weightsLeftAlone) {
      this.weightsLeftAlone = weightsLeftAlone;
    }

    /** Whether a layer with weights stayed unnormalized without the caller asking for it. */
    public boolean weightsLeftAlone() {
      return weightsLeftAlone;
    }
  }

  /** One layer's line of the report. */
  public static final class Entry {
    private final String layer;
    private final String type;
    private final Outcome outcome;
    private final List<String> weights;
    private final String reason;

    Entry(String layer, String type, Outcome outcome, List<String> weights, String reason) {
      this.layer = layer;
      this.type = type;
      this.outcome = outcome;
      this.weights = List.copyOf(weights);
      this.reason = reason;
    }

    /** The layer's name (or vertex name), with its index in a MultiLayerConfiguration. */
    public String layer() {
      return layer;
    }

    /** The layer's type, with wrappers, e.g. "Bidirectional(LSTM)". */
    public String type() {
      return type;
    }

    public Outcome outcome() {
      return outcome;
    }

    /** The weight keys normalized (WRAPPED) or left alone (other outcomes); may be empty. */
    public List<String> weights() {
      return weights;
    }

    /** Why, in words. */
    public String reason() {
      return reason;
    }

    @Override
    public String toString() {
      return layer + " (" + type + "): " + outcome
          + (weights.isEmpty() ? "" : " " + weights) + (reason.isEmpty() ? "" : ", " + reason);
    }
  }

  private final List<Entry> entries;

  ApplyReport(List<Entry> entries) {
    this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
  }

  /** Every layer, in configuration order. */
  public List<Entry> entries() {
    return entries;
  }

  /** The layers with the given outcome. */
  public List<Entry> with(Outcome outcome) {
    return entries.stream().filter(e -> e.outcome() == outcome).collect(Collectors.toList());
  }

  /** The layers that were wrapped. */
  public List<Entry> wrapped() {
    return with(Outcome.WRAPPED);
  }

  /**
   * The layers with weights left unnormalized without the caller asking for it (unsupported
   * types, or inside wrappers this library cannot enter); what strict mode refuses.
   */
  public List<Entry> weightsLeftAlone() {
    return entries.stream().filter(e -> e.outcome().weightsLeftAlone())
        .collect(Collectors.toList());
  }

  /** How many layers had each outcome. */
  public Map<Outcome, Integer> counts() {
    Map<Outcome, Integer> out = new EnumMap<>(Outcome.class);
    for (Entry e : entries) {
      out.merge(e.outcome(), 1, Integer::sum);
    }
    return out;
  }

  /** One line: the counts, then every layer whose weights were left alone. */
  public String summary() {
    StringBuilder sb = new StringBuilder("wrapped " + wrapped().size() + " of " + entries.size()
        + " layers " + counts());
    for (Entry e : weightsLeftAlone()) {
      sb.append("; ").append(e);
    }
    return sb.toString();
  }

  /** The whole report, a line per layer. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(summary()).append('\n');
    for (Entry e : entries) {
      sb.append("  ").append(e).append('\n');
    }
    return sb.toString();
  }
}
