package io.github.dl4jsn.examples.translation;

import java.io.File;
import java.io.IOException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/** The {@code output} architecture: a {@link Seq2SeqModel} graph behind {@link Seq2Seq}. */
public final class GraphSeq2Seq implements Seq2Seq {

  /** The architecture name. */
  public static final String ARCHITECTURE = "output";

  private final ComputationGraph graph;

  /** Wraps an initialized graph built by {@link Seq2SeqModel#build}. */
  public GraphSeq2Seq(ComputationGraph graph) {
    this.graph = graph;
  }

  /** The graph. */
  public ComputationGraph graph() {
    return graph;
  }

  @Override
  public String architecture() {
    return ARCHITECTURE;
  }

  @Override
  public double fit(MultiDataSet batch) {
    graph.fit(batch);
    return graph.score();
  }

  @Override
  public double loss(MultiDataSet batch) {
    return graph.score(batch, false);
  }

  @Override
  public int epochCount() {
    return graph.getConfiguration().getEpochCount();
  }

  @Override
  public void incrementEpochCount() {
    graph.incrementEpochCount();
  }

  @Override
  public long iterationCount() {
    return graph.getConfiguration().getIterationCount();
  }

  @Override
  public long numParams() {
    return graph.numParams();
  }

  @Override
  public double learningRate() {
    return graph.getLearningRate("srcEmbed");
  }

  @Override
  public StepDecoder decoder() {
    return new GraphDecoder(graph);
  }

  @Override
  public void write(File file) throws IOException {
    ModelSerializer.writeModel(graph, file, true);
  }

  /** Reads the graph of a model file written by {@link #write}. */
  static GraphSeq2Seq read(File file) throws IOException {
    return new GraphSeq2Seq(ModelSerializer.restoreComputationGraph(file, true));
  }
}
