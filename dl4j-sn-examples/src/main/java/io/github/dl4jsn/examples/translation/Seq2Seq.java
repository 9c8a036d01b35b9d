package io.github.dl4jsn.examples.translation;

import java.io.File;
import java.io.IOException;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A trainable encoder-decoder of this example: {@link GraphSeq2Seq} (architecture {@code
 * output}, a DL4J graph) or {@link StateSeq2SeqModel} (architecture {@code state}, the paper's
 * state hand-over in SameDiff). Batches are {@link Example#toMultiDataSet} minibatches; losses
 * are per sentence (summed over the target words, averaged over the batch).
 */
public interface Seq2Seq {

  /** The architecture name: {@code output} or {@code state}. */
  String architecture();

  /** One update on a minibatch; returns its loss before the update. */
  double fit(MultiDataSet batch);

  /** The loss of a minibatch, without updating anything (inference mode). */
  double loss(MultiDataSet batch);

  /** Epochs completed. */
  int epochCount();

  /** Records one more completed epoch. */
  void incrementEpochCount();

  /** Updates done. */
  long iterationCount();

  /** Trainable parameters (the output graph counts its SN vectors too, as DL4J does). */
  long numParams();

  /** The learning rate of the next update. */
  double learningRate();

  /** A new step decoder over the current weights. */
  StepDecoder decoder();

  /** Writes the model with its updater state to a zip file (other entries may follow). */
  void write(File file) throws IOException;
}
